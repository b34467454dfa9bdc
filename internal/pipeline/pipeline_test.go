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
		// The reference evaluates every app of every cluster: the cached
		// build shares values too (eval.Shared).
		opts := pipeline.Options{Dir: mod, NoSharing: !cached}
		if cached {
			// One directory loaded at a time: each is cached under its
			// own key however the directories arrive.
			opts.Cache, opts.LoadBatch = c, 1
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

// TestBundleEditEvaluatesItsClusters checks that an edit to one bundle's
// file evaluates again only the clusters that enable the bundle, with the
// same output as a build without the cache, and that a module whose files
// read the bundles some other way falls back to evaluating every cluster.
func TestBundleEditEvaluatesItsClusters(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup changes the module before the cache is filled.
		setup map[string]string
		// evaluated is how many clusters the edit evaluates again; partly
		// how many of them only for the edited bundle's apps.
		evaluated, partly int
	}{
		{name: "bundle files", evaluated: 1, partly: 1},
		{
			name: "a bundle file reads another bundle",
			setup: map[string]string{"bundles/reads.cue": `package bundles

bundles: "core-basic": apps: "cert-manager": values: _seen: bundles."finops-basic".version
`},
			evaluated: 3,
		},
		{
			name: "a cluster file imports the bundles",
			setup: map[string]string{"clusters/prod/imports.cue": `package clusters

import "corp.local/platform/bundles"

_finops: bundles.bundles."finops-basic".version
`},
			evaluated: 3,
		},
		{
			name: "another package imports the bundles",
			setup: map[string]string{
				"lib/lib.cue": `package lib

import "corp.local/platform/bundles"

finops: bundles.bundles."finops-basic".version
`,
				"clusters/prod/imports.cue": `package clusters

import "corp.local/platform/lib"

_finops: lib.finops
`},
			evaluated: 3,
		},
		{
			name:      "the wiring is not platformc's",
			setup:     map[string]string{"clusters/clusters.cue": "\n_extra: 1\n"},
			evaluated: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := t.TempDir()
			platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
			for name, src := range tc.setup {
				p := filepath.Join(mod, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if old, err := os.ReadFile(p); err == nil {
					src = string(old) + src // appended to the file there is
				}
				if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			c, err := cache.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			build := func(c *cache.Cache) (*pipeline.Result, string) {
				res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, Cache: c})
				if err != nil {
					var b bytes.Buffer
					diag.Print(&b, err, res.Root)
					t.Fatalf("build: %s", b.String())
				}
				return res, outcome(res, nil)
			}
			build(c)
			if res, _ := build(c); res.Evaluated != 0 {
				t.Fatalf("nothing changed, %d clusters evaluated", res.Evaluated)
			}
			// One value of one app of finops-basic, which only
			// armored-core-development enables.
			p := filepath.Join(mod, "bundles", "finops-basic.cue")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			edited := bytes.Replace(data, []byte(`"9.0.1"`), []byte(`"9.0.2"`), 1)
			edited = bytes.Replace(edited, []byte("enabled: true"), []byte("enabled: false"), 1)
			if bytes.Equal(edited, data) {
				t.Fatal("the edit changed nothing")
			}
			if err := os.WriteFile(p, edited, 0o644); err != nil {
				t.Fatal(err)
			}
			res, got := build(c)
			if res.Evaluated != tc.evaluated || res.Cached != 3-tc.evaluated || res.Partly != tc.partly {
				t.Errorf("%d clusters evaluated (%d in part), %d from the cache; want %d evaluated (%d in part)",
					res.Evaluated, res.Partly, res.Cached, tc.evaluated, tc.partly)
			}
			if _, want := build(nil); got != want {
				t.Errorf("cached build differs from uncached:\ncached:\n%.2000s\nuncached:\n%.2000s", got, want)
			}
			if !strings.Contains(got, "enabled: false") {
				t.Error("the edited value is not in the output")
			}
		})
	}
}

// TestStampCoversInputs: a build's stamp, which lets a build into a
// directory that build wrote skip everything, changes with every input
// the files depend on (any .cue file of the module, a file it embeds, a
// variable a @tag reads, the clusters selected), and with nothing else
// (a file that is not read).
func TestStampCoversInputs(t *testing.T) {
	mod := t.TempDir()
	platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
	write := func(rel, data string) {
		t.Helper()
		p := filepath.Join(mod, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	appendTo := func(rel string) func() {
		return func() {
			data, err := os.ReadFile(filepath.Join(mod, rel))
			if err != nil {
				t.Fatal(err)
			}
			write(rel, string(data)+"\n// edited\n")
		}
	}
	env := map[string]string{}
	stamp := func(patterns ...string) string {
		t.Helper()
		var got []byte
		res, err := pipeline.Run(context.Background(), pipeline.Options{
			Dir: mod, Patterns: patterns,
			Env:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Skip: func(s []byte) bool { got = s; return true },
		})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Skipped || !bytes.Equal(res.Stamp, got) || len(got) == 0 {
			t.Fatalf("Skip was not asked, or the result does not carry its stamp: %+v", res)
		}
		return string(got)
	}
	write("clusters/dev/dev-alpha/embed.cue", "@extern(embed)\n\npackage clusters\n\nclusters: \"dev-alpha\": annotations: \"corp.local/note\": _ @embed(file=note.json)\n")
	write("clusters/dev/dev-alpha/note.json", `"first"`)
	write("bundles/secret.cue", "package bundles\n\nbundles: \"monitoring-medium\": apps: grafana: values: grafana: adminPassword: string @tag(PASSWORD)\n")
	env["PASSWORD"] = "a"

	seen := map[string]string{stamp(): "the platform"}
	if again := stamp(); seen[again] == "" {
		t.Fatal("the same inputs gave another stamp")
	}
	if _, ok := seen[stamp("./clusters/...", "./clusters/dev/...")]; !ok {
		t.Error("patterns that select the same clusters gave another stamp")
	}
	write("clusters/dev/dev-alpha/README.md", "not read\n")
	write("clusters/dev/dev-alpha/_scratch.cue", "package clusters\n\nnot: read\n")
	if _, ok := seen[stamp()]; !ok {
		t.Error("a file that is not read changed the stamp")
	}
	changes := []struct {
		name   string
		change func()
	}{
		{"a cluster's file", appendTo("clusters/dev/dev-alpha/cluster.cue")},
		{"a file of the directories above", appendTo("clusters/dev/env.cue")},
		{"the wiring", appendTo("clusters/clusters.cue")},
		{"a bundle", appendTo("bundles/storage-basic.cue")},
		{"the defaults", appendTo("platform/platform.cue")},
		{"the schema", appendTo("schema/cluster.cue")},
		{"the module file", appendTo("cue.mod/module.cue")},
		{"an embedded file", func() { write("clusters/dev/dev-alpha/note.json", `"second"`) }},
		{"a variable's value", func() { env["PASSWORD"] = "b" }},
		{"a variable unset", func() { delete(env, "PASSWORD") }},
		{"a new cluster directory", func() {
			write("clusters/dev/dev-beta/cluster.cue", "package clusters\n\n// none yet\n")
		}},
		{"a directory gone", func() {
			if err := os.RemoveAll(filepath.Join(mod, "clusters/dev/dev-beta")); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, c := range changes {
		c.change()
		s := stamp()
		prev, ok := seen[s]
		switch {
		case c.name == "a directory gone" && prev != "a variable unset":
			t.Errorf("%s: not the stamp it had before the directory came", c.name)
		case c.name != "a directory gone" && ok:
			t.Errorf("%s: the stamp is the one of %s", c.name, prev)
		}
		seen[s] = c.name
	}

	// A partial selection has no stamp, and is never skipped.
	env["PASSWORD"] = "a"
	res, err := pipeline.Run(context.Background(), pipeline.Options{
		Dir: mod, Patterns: []string{"./clusters/dev/..."},
		Env:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Skip: func([]byte) bool { t.Error("Skip asked for a partial selection"); return true },
	})
	if err != nil || res.Skipped || res.Stamp != nil || len(res.ClusterFiles) == 0 {
		t.Errorf("partial selection: skipped %v, stamp %x, %d files, error %v", res.Skipped, res.Stamp, len(res.ClusterFiles), err)
	}
}
