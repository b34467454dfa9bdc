package pipeline

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/diag"
)

// copyPlatform copies the reference platform (the repository's CUE) into dst.
func copyPlatform(t *testing.T, dst string) {
	t.Helper()
	src := filepath.Join("..", "..")
	for _, dir := range []string{"cue.mod", "schema", "platform", "bundles", "clusters"} {
		err := filepath.WalkDir(filepath.Join(src, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".cue") {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			target := filepath.Join(dst, rel)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// outcome is what a build produced, as comparable text: every file, or
// the error report.
func outcome(res *Result, err error) string {
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
	copyPlatform(t, mod)
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
	build := func(cached bool) string {
		opts := Options{Dir: mod}
		if cached {
			opts.Cache = c
		}
		res, err := Run(context.Background(), opts)
		return outcome(res, err)
	}
	build(true) // fill the cache
	edits := 25
	if testing.Short() {
		edits = 5
	}
	for i := range edits {
		file := inputs[rng.IntN(len(inputs))]
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var edit string
		locs := literal.FindAllIndex(data, -1)
		switch {
		case rng.IntN(4) == 0 || len(locs) == 0:
			data = append(data, []byte("\n// an edit that changes no value\n")...)
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
		got, want := build(true), build(false)
		if got != want {
			t.Fatalf("edit %d (%s: %s): cached build differs from uncached\ncached:\n%.2000s\nuncached:\n%.2000s", i, rel, edit, got, want)
		}
	}
}
