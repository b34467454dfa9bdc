package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/platformc/platformc/internal/benchgen/workload"
)

// TestBuildIsDeterministic builds one platform in every way that could
// change the bytes written: one and eight threads (GOMAXPROCS and -j), from
// the module root and from subdirectories with relative patterns, without
// the cache, filling it and served from it, and again. Every build must
// write the same files with the same bytes.
func TestBuildIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a platform eight times; the race pass (-short) has nothing to add to it")
	}
	const n = 24
	mod := filepath.Join(t.TempDir(), "platform")
	if err := workload.Write(mod, n); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cache := filepath.Join(work, "cache")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var first map[string][]byte
	for i, b := range []struct {
		procs int
		dir   string // relative to the module
		args  []string
	}{
		{1, ".", []string{"--no-cache", "-j", "1"}},
		{8, ".", []string{"--no-cache", "-j", "8"}},
		{8, ".", []string{"--no-cache"}}, // -j from GOMAXPROCS
		{8, "clusters", []string{"--cache-dir", cache, "./..."}},
		{1, "clusters/prod", []string{"--cache-dir", cache, "-j", "1", "../..."}},
		{8, "clusters/dev", []string{"--cache-dir", cache, "../../clusters/..."}},
		{2, ".", []string{"--cache-dir", cache}},
		{2, ".", []string{"--no-cache"}},
	} {
		name := fmt.Sprintf("GOMAXPROCS=%d in %s: build %v", b.procs, b.dir, b.args)
		runtime.GOMAXPROCS(b.procs)
		t.Chdir(filepath.Join(mod, b.dir))
		out := filepath.Join(work, fmt.Sprintf("out%d", i))
		var stderr bytes.Buffer
		args := append(append([]string{"build", "-q"}, b.args...), "-o", out)
		if code := Run(context.Background(), args, io.Discard, &stderr); code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr.String())
		}
		tree := files(t, out)
		if first == nil {
			first = tree
			if len(first) < n*3 {
				t.Fatalf("%s: only %d files", name, len(first))
			}
			continue
		}
		if !equalTrees(first, tree) {
			t.Errorf("%s: output differs from the first build", name)
		}
	}
}

func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == ".platformc" {
			return filepath.SkipDir // bookkeeping: the index records inodes and times
		}
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalTrees(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, data := range a {
		if other, ok := b[p]; !ok || !bytes.Equal(data, other) {
			return false
		}
	}
	return true
}
