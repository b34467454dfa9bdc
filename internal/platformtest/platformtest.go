// Package platformtest helps tests run the real pipeline (load, eval,
// render) on the repository's reference platform, optionally with extra
// CUE files laid over it, and find the upstream CRDs in ../shared/crds.
// Only tests import it.
package platformtest

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/pipeline"
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

// Compile evaluates and renders a copy of the reference platform with
// overlay (CUE file contents by path relative to the repository root) laid
// over it, for the clusters the patterns select (all when none), without
// the build cache. Any error fails t.
func Compile(t testing.TB, overlay map[string]string, patterns ...string) *Compiled {
	t.Helper()
	mod := t.TempDir()
	CopyPlatform(t, RepoRoot(t), mod)
	for rel, src := range overlay {
		p := filepath.Join(mod, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, Patterns: patterns})
	if err != nil {
		var b strings.Builder
		diag.Print(&b, err, res.Root)
		t.Fatalf("build:\n%s", b.String())
	}
	return &Compiled{Platform: res.Platform, Files: res.Files}
}

// CopyPlatform copies the .cue files of a platform module (cue.mod,
// schema, platform, bundles, clusters) from src to dst.
func CopyPlatform(t testing.TB, src, dst string) {
	t.Helper()
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
