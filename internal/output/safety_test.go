package output

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/platformc/platformc/internal/render"
)

// entry is what a tree holds at a path, symlinks not followed: a file's
// mode and content, a symlink's target, or a directory's mode.
type entry struct {
	mode fs.FileMode
	data string
}

// lsTree lists everything below dir without following symlinks.
func lsTree(t testing.TB, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := entry{mode: fi.Mode()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			e.data, err = os.Readlink(p)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(p)
			e.data = string(b)
		}
		out[filepath.ToSlash(rel)] = e
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSymlinksAreNeverFollowed puts symlinks into the output directory
// where build would write or prune: to a directory outside, to .git, to a
// generated-looking file outside. Each is refused as a file platformc did
// not write; nothing is written, inside or outside.
func TestSymlinksAreNeverFollowed(t *testing.T) {
	root := t.TempDir()
	dir, outside := filepath.Join(root, "out"), filepath.Join(root, "outside")
	writeTree(t, outside, map[string]string{
		"values.yaml":   render.Header + "outside, but looks generated\n",
		"etc/important": "outside\n",
	})
	writeTree(t, dir, map[string]string{
		".git/config":                  "[core]\n",
		"cluster/a/core/x/values.yaml": render.Header + "old\n",
	})
	for link, target := range map[string]string{
		"cluster/b":                        "../../outside/etc", // a cluster folder leading out
		"argocd":                           ".git",              // a whole output tree into .git
		"tanzu/ns/c.yaml":                  "../../../outside/values.yaml",
		"cluster/stale/core/y/values.yaml": "../../../../../outside/values.yaml", // looks like a stale generated file
		"cluster/a/core/x/unrelated.yaml":  "/etc/passwd",                        // beside a generated file, in nobody's way
	} {
		p := filepath.Join(dir, filepath.FromSlash(link))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	before, beforeOutside := lsTree(t, dir), lsTree(t, outside)

	_, err := planOnly(t, dir, render.Header, []render.File{
		gen("cluster/a/core/x/values.yaml", "new\n"),
		gen("cluster/b/core/x/values.yaml", "new\n"),
		gen("argocd/dev/applicationsets/x.yaml", "new\n"),
		gen("tanzu/ns/c.yaml", "new\n"),
	}, true)
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	if want := []string{"argocd", "cluster/b", "tanzu/ns/c.yaml"}; !reflect.DeepEqual(conflict.Paths, want) {
		t.Errorf("conflicts %q, want %q", conflict.Paths, want)
	}
	if after := lsTree(t, dir); !reflect.DeepEqual(before, after) {
		t.Errorf("output directory changed")
	}
	if after := lsTree(t, outside); !reflect.DeepEqual(beforeOutside, after) {
		t.Errorf("directory outside changed")
	}

	// Without the files in the way, the build goes ahead: the symlinks it
	// does not need, the stale-looking one included, are left as they are.
	d, plan, err := openPlan(t, dir, render.Header, []render.File{gen("cluster/a/core/x/values.yaml", "new\n")}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Listing(); got != "update cluster/a/core/x/values.yaml\n" {
		t.Errorf("listing %q: only the generated file changes", got)
	}
	if err := d.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	after := lsTree(t, dir)
	for p, e := range before {
		if e.mode&fs.ModeSymlink != 0 && after[p] != e {
			t.Errorf("symlink %s changed: %v, was %v", p, after[p], e)
		}
	}
	if after := lsTree(t, outside); !reflect.DeepEqual(beforeOutside, after) {
		t.Errorf("directory outside changed")
	}
}

// TestModes checks the modes Apply asks for, under an umask of 0 so that
// they show as asked: 0644 for files, 0755 for the directories it makes.
// (Under a user's umask they come out as umask allows, as with any tool.)
func TestModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "out")
	writeTree(t, dir, map[string]string{"cluster/a/core/x/values.yaml": render.Header + "old\n"})
	if err := os.Chmod(filepath.Join(dir, "cluster/a/core/x/values.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, plan, err := openPlan(t, dir, render.Header, []render.File{
		gen("cluster/a/core/x/values.yaml", "new\n"),
		gen("cluster/b/core/x/values.yaml", "added\n"),
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]fs.FileMode{
		"cluster/a/core/x/values.yaml": 0o644, // rewritten: a new file
		"cluster/b/core/x/values.yaml": 0o644,
		"cluster/b":                    fs.ModeDir | 0o755,
		"cluster/b/core":               fs.ModeDir | 0o755,
		"cluster/b/core/x":             fs.ModeDir | 0o755,
		".platformc":                   fs.ModeDir | 0o755,
		".platformc/lock":              0o644,
		".platformc/.gitignore":        0o644,
	} {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

func TestMakePlanRefusesInconsistentPaths(t *testing.T) {
	for _, tc := range []struct {
		paths []string
		want  string
	}{
		{[]string{"a/x.yaml", "a/x.yaml"}, `generated path "a/x.yaml" is produced twice`},
		{[]string{"a", "a/x.yaml"}, `generated path "a" is also needed as the directory of "a/x.yaml"`},
		{[]string{"a/b/c.yaml", "a/b"}, `generated path "a/b" is also needed as the directory of "a/b/c.yaml"`},
	} {
		var files []render.File
		for _, p := range tc.paths {
			files = append(files, gen(p, "x\n"))
		}
		if _, err := planOnly(t, t.TempDir(), render.Header, files, true); err == nil || err.Error() != tc.want {
			t.Errorf("%v: err = %v, want %q", tc.paths, err, tc.want)
		}
	}
}

// FuzzApply builds an output directory from the fuzzer's description —
// hand-written and generated files, symlinks to anywhere — and writes
// arbitrary generated paths into it. Whatever happens, nothing outside
// the directory changes, .git and every file platformc did not write stay
// as they were, and a failed run leaves the directory exactly as it was.
//
// existing holds lines "f PATH" (hand-written), "g PATH" (generated) and
// "l PATH TARGET" (symlink); generated holds one path per line.
func FuzzApply(f *testing.F) {
	f.Add("f README.md\ng cluster/a/core/x/values.yaml\ng cluster/gone/core/z/values.yaml\n", "cluster/a/core/x/values.yaml\ncluster/b/core/x/values.yaml\n", true)
	f.Add("l cluster ../outside\n", "cluster/a/core/x/values.yaml\n", true)
	f.Add("l argocd .git\n", "argocd/dev/applicationsets/x.yaml\n", true)
	f.Add("l cluster/a/values.yaml ../../../outside/secret\n", "cluster/a/values.yaml\n", true)
	f.Add("l cluster/old/values.yaml ../../../outside/secret\n", "cluster/new/values.yaml\n", true)
	f.Add("f cluster/a\n", "cluster/a/values.yaml\n", false)
	f.Add("g a/b\n", "a\n", true)
	f.Add("", "../outside/secret\n/etc/passwd\n.git/config\na/../../x\n", true)
	f.Add("l x /\n", "x/etc/passwd\n", true)
	f.Fuzz(func(t *testing.T, existing, generated string, prune bool) {
		root := t.TempDir()
		dir, outside := filepath.Join(root, "out"), filepath.Join(root, "outside")
		writeTree(t, outside, map[string]string{"secret": render.Header + "outside\n", "etc/passwd": "root\n"})
		writeTree(t, dir, map[string]string{".git/config": "[core]\n", ".git/HEAD": "ref: refs/heads/main\n"})
		for _, line := range strings.Split(existing, "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || !safeToCreate(dir, fields[1]) {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(fields[1]))
			if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
				continue
			}
			switch {
			case fields[0] == "f":
				_ = os.WriteFile(p, []byte("hand-written\n"), 0o644)
			case fields[0] == "g":
				_ = os.WriteFile(p, []byte(render.Header+"old\n"), 0o644)
			case fields[0] == "l" && len(fields) == 3:
				_ = os.Symlink(fields[2], p)
			}
		}
		beforeRoot, before := lsTree(t, root), lsTree(t, dir)

		var files []render.File
		for _, p := range strings.Split(generated, "\n") {
			if p != "" {
				files = append(files, render.File{Path: p, Data: []byte(render.Header + "new " + p + "\n")})
			}
		}
		d, err := Open(context.Background(), dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		plan, err := d.Plan(render.Header, files, prune)
		if err == nil {
			err = d.Apply(context.Background(), plan)
		}
		d.Close()

		afterRoot, after := lsTree(t, root), userTree(lsTree(t, dir))
		checkClean(t, dir)
		for p, e := range beforeRoot {
			if !strings.HasPrefix(p, "out/") && p != "out" && afterRoot[p] != e {
				t.Fatalf("outside the output directory, %s changed", p)
			}
		}
		for p := range afterRoot {
			if _, ok := beforeRoot[p]; !ok && !strings.HasPrefix(p, "out/") {
				t.Fatalf("outside the output directory, %s appeared", p)
			}
		}
		if err != nil {
			if !reflect.DeepEqual(before, after) {
				t.Fatalf("failed (%v) but changed the output directory", err)
			}
			return
		}
		for p, e := range before {
			generatedFile := e.mode.IsRegular() && strings.HasPrefix(e.data, render.Header)
			if !generatedFile && e.mode&fs.ModeDir == 0 && after[p] != e {
				t.Fatalf("%s was not platformc's but changed", p)
			}
		}
		for _, f := range files {
			e, ok := after[f.Path]
			if !ok || !e.mode.IsRegular() || e.data != string(f.Data) {
				t.Fatalf("%s not written as a regular file with its content", f.Path)
			}
		}
		for p, e := range after {
			if strings.HasPrefix(p, ".platformc") {
				t.Fatalf("%s left behind", p)
			}
			if _, was := before[p]; !was && e.mode&fs.ModeDir == 0 && !slices.ContainsFunc(files, func(f render.File) bool { return f.Path == p }) {
				t.Fatalf("%s appeared but was not generated", p)
			}
		}
	})
}

// safeToCreate reports whether the fuzzer's pre-existing entry can be made
// inside dir without leaving it: a local path, outside .git, with no
// symlink among its parents.
func safeToCreate(dir, p string) bool {
	if !filepath.IsLocal(p) || strings.Contains(p, "\\") || strings.HasPrefix(path.Clean(p), ".git") || strings.HasPrefix(p, ".platformc") {
		return false
	}
	for d := path.Dir(path.Clean(p)); d != "."; d = path.Dir(d) {
		if fi, err := os.Lstat(filepath.Join(dir, d)); err == nil && !fi.IsDir() {
			return false
		}
	}
	return true
}
