// Package platformtest helps tests run the real pipeline (load, eval,
// render) on the repository's reference platform, optionally with extra
// CUE files laid over it, and find the upstream CRDs in ../shared/crds.
// Only tests import it.
package platformtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cueload "cuelang.org/go/cue/load"

	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/render"
)

// RepoRoot is the repository root (the directory holding go.mod), which is
// also the reference platform's CUE module root.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", dir)
		}
	}
}

// CRDDir is shared/crds beside the repository: the upstream CRDs the
// emitted manifests are validated against. Without it the test is skipped,
// except in CI (CI=true), where it fails: CI always has shared/ beside the
// clone.
func CRDDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(filepath.Dir(RepoRoot(t)), "shared", "crds")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("upstream CRDs not found at %s (CI runs with shared/ beside the clone): %v", dir, err)
		}
		t.Skipf("upstream CRDs not found at %s; put shared/ beside the repository to run this test", dir)
	}
	return dir
}

// Compiled is what the pipeline made of a platform.
type Compiled struct {
	Platform *model.Platform
	Files    []render.File
}

// Compile evaluates and renders the reference platform with overlay (CUE
// file contents by path relative to the repository root) laid over it, for
// the clusters the patterns select (all when none). Any error fails t.
func Compile(t testing.TB, overlay map[string]string, patterns ...string) *Compiled {
	t.Helper()
	root := RepoRoot(t)
	ov := map[string]cueload.Source{}
	for rel, src := range overlay {
		ov[filepath.Join(root, filepath.FromSlash(rel))] = cueload.FromString(src)
	}
	lp, err := load.Load(load.Config{Dir: root, Patterns: patterns, Overlay: ov})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	p, err := eval.Platform(context.Background(), lp, eval.Options{})
	if err != nil {
		var b strings.Builder
		diag.Print(&b, err, root)
		t.Fatalf("eval:\n%s", b.String())
	}
	files, err := render.All(p)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return &Compiled{Platform: p, Files: files}
}

// File returns the rendered file at path, failing t if there is none.
func (c *Compiled) File(t testing.TB, path string) []byte {
	t.Helper()
	for _, f := range c.Files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("no rendered file %s", path)
	return nil
}
