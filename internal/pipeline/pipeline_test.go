package pipeline_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/platformtest"
)

// outcome is what a build produced, as comparable text: every file, or
// the error report.
func outcome(res *pipeline.Result, err error) string {
	var b bytes.Buffer
	if err != nil {
		diag.Print(&b, err, res.Root)
		return "error:\n" + b.String()
	}
	for _, f := range res.Files {
		fmt.Fprintf(&b, "== %s\n%s", f.Path, f.Data)
	}
	return b.String()
}

var literal = regexp.MustCompile(`"[a-z][a-z0-9.-]*"|\b[0-9]+\b`)

// TestCachedEqualsUncached edits random input files at random and checks
// after each edit that a build through the cache gives exactly what a
// build without it gives: the same bytes, or the same errors.
func TestCachedEqualsUncached(t *testing.T) {
	mod := t.TempDir()
	platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs []string
	filepath.WalkDir(mod, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".cue") && !strings.Contains(p, "cue.mod") {
			inputs = append(inputs, p)
		}
		return nil
	})
	build := func(cached bool) (string, *pipeline.Result, error) {
		opts := pipeline.Options{Dir: mod}
		if cached {
			opts.Cache = c
		}
		res, err := pipeline.Run(context.Background(), opts)
		return outcome(res, err), res, err
	}
	build(true) // fill the cache
	edits := 30
	if testing.Short() {
		edits = 6
	}
	ok, servedFromCache := 0, 0
	for i := range edits {
		file := inputs[rng.IntN(len(inputs))]
		orig, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		data := orig
		var edit string
		locs := literal.FindAllIndex(data, -1)
		switch {
		case rng.IntN(4) == 0 || len(locs) == 0:
			data = append(slices.Clip(data), []byte("\n// an edit that changes no value\n")...)
			edit = "comment"
		default:
			loc := locs[rng.IntN(len(locs))]
			old := string(data[loc[0]:loc[1]])
			repl := fmt.Sprintf("%d", rng.IntN(5))
			if strings.HasPrefix(old, `"`) {
				repl = strings.TrimSuffix(old, `"`) + "x" + `"`
			}
			data = append(append(append([]byte{}, data[:loc[0]]...), repl...), data[loc[1]:]...)
			edit = old + " -> " + repl
		}
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(mod, file)
		got, res, err := build(true)
		want, _, _ := build(false)
		if got != want {
			t.Fatalf("edit %d (%s: %s): cached build differs from uncached\ncached:\n%.3000s\nuncached:\n%.3000s", i, rel, edit, got, want)
		}
		if err != nil {
			// Put a breaking edit back, so that later edits build.
			if err := os.WriteFile(file, orig, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ok++
		if res.Cached > 0 {
			servedFromCache++
		}
	}
	// The test only means something if edits built, some from the cache.
	if ok < edits/3 || servedFromCache == 0 {
		t.Fatalf("%d of %d edits built, %d with cached directories: too few to compare", ok, edits, servedFromCache)
	}
}
