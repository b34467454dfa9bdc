package output

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/platformc/platformc/internal/render"
)

func gen(path, body string) render.File {
	return render.File{Path: path, Data: []byte(render.Header + body)}
}

func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// openPlan opens dir as build does, to write, and plans files under its
// lock; the Dir is closed when the test ends.
func openPlan(t testing.TB, dir, header string, files []render.File, prune bool) (*Dir, *Plan, error) {
	t.Helper()
	d, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	plan, err := d.Plan(header, files, prune)
	return d, plan, err
}

// planOnly opens dir as build --check does, to read only, and plans.
func planOnly(t testing.TB, dir, header string, files []render.File, prune bool) (*Plan, error) {
	t.Helper()
	d, err := Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	return d.Plan(header, files, prune)
}

// userTree is a tree as lsTree or readTree list it, without platformc's
// .platformc/ (whose content checkClean checks).
func userTree[V any](tree map[string]V) map[string]V {
	out := map[string]V{}
	for p, v := range tree {
		if p != metaDir && p != metaDir+"/" && !strings.HasPrefix(p, metaDir+"/") {
			out[p] = v
		}
	}
	return out
}

// checkClean fails unless dir/.platformc/ holds nothing but its
// .gitignore, the lock and the index: no journal, no stage.
func checkClean(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, metaDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	names = slices.DeleteFunc(names, func(n string) bool { return n == indexName })
	if !slices.Equal(names, []string{ignoreFile, lockName}) {
		t.Errorf("%s/.platformc holds %v; want only %s, %s and its %s", dir, names, ignoreFile, lockName, indexName)
	}
}

func TestPlanAndApply(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"README.md":                       "hand-written\n",
		"cluster/a/core/x/values.yaml":    render.Header + "same\n",
		"cluster/a/core/y/values.yaml":    render.Header + "old\n",
		"cluster/gone/core/z/values.yaml": render.Header + "stale\n",
		".git/config":                     "[core]\n",
		"cluster/a/notes.txt":             "mine\n",
	})
	files := []render.File{
		gen("cluster/a/core/x/values.yaml", "same\n"),
		gen("cluster/a/core/y/values.yaml", "new\n"),
		gen("cluster/b/core/x/values.yaml", "added\n"),
	}
	d, plan, err := openPlan(t, dir, render.Header, files, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plan.Listing(), "update cluster/a/core/y/values.yaml\nadd cluster/b/core/x/values.yaml\nremove cluster/gone/core/z/values.yaml\n"; got != want {
		t.Errorf("listing:\n%s\nwant:\n%s", got, want)
	}
	if plan.Unchanged != 1 {
		t.Errorf("unchanged = %d, want 1", plan.Unchanged)
	}
	if err := d.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	d.Close()
	got := readTree(t, dir)
	for p, want := range map[string]string{
		"README.md":                    "hand-written\n",
		"cluster/a/notes.txt":          "mine\n",
		".git/config":                  "[core]\n",
		"cluster/a/core/y/values.yaml": render.Header + "new\n",
		"cluster/b/core/x/values.yaml": render.Header + "added\n",
	} {
		if got[p] != want {
			t.Errorf("%s = %q, want %q", p, got[p], want)
		}
	}
	if _, ok := got["cluster/gone/"]; ok {
		t.Errorf("cluster/gone/ left behind")
	}
	checkClean(t, dir)
	// Applying the same files again changes nothing.
	plan, err = planOnly(t, dir, render.Header, files, true)
	if err != nil || len(plan.Ops) != 0 || plan.Unchanged != 3 {
		t.Errorf("second plan: %v, %d ops, %d unchanged", err, len(plan.Ops), plan.Unchanged)
	}
}

func TestPartialBuildDoesNotPrune(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"cluster/other/core/x/values.yaml": render.Header + "another cluster's\n"})
	plan, err := planOnly(t, dir, render.Header, []render.File{gen("cluster/a/core/x/values.yaml", "v\n")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Listing(); got != "add cluster/a/core/x/values.yaml\n" {
		t.Errorf("listing %q: a partial build must not remove other clusters' files", got)
	}
}

func TestConflicts(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"cluster/a/core/x/values.yaml": "hand-written values\n",
		"cluster/b":                    "a file where a directory must go\n",
	})
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, dir)
	_, _, err := openPlan(t, dir, render.Header, []render.File{
		gen("cluster/a/core/x/values.yaml", "v\n"),
		gen("cluster/b/core/x/values.yaml", "v\n"),
		gen("link.yaml", "v\n"),
		gen("cluster/c/core/x/values.yaml", "v\n"),
	}, true)
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	if want := []string{"cluster/a/core/x/values.yaml", "cluster/b", "link.yaml"}; !reflect.DeepEqual(conflict.Paths, want) {
		t.Errorf("conflicts %q, want %q", conflict.Paths, want)
	}
	if !strings.Contains(err.Error(), "was not generated by platformc") {
		t.Errorf("message %q does not say why", err)
	}
	if after := userTree(readTree(t, dir)); !reflect.DeepEqual(before, after) {
		t.Errorf("a refused plan changed the directory")
	}
}

// TestApplyAllOrNothing makes each step of an apply fail in turn, and
// then also each step of the rollback that follows: the directory is left
// exactly as it was, at once or, when the rollback failed, by the next Open.
func TestApplyAllOrNothing(t *testing.T) {
	files := []render.File{
		gen("cluster/a/core/x/values.yaml", "new x\n"),
		gen("cluster/a/core/y/values.yaml", "new y\n"),
		gen("cluster/new/core/z/values.yaml", "z\n"),
		gen("cluster/new/deep/w/values.yaml", "w\n"),
	}
	setup := func(t *testing.T) string {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{
			"README.md":                      "hand-written\n",
			"cluster/a/core/x/values.yaml":   render.Header + "old x\n",
			"cluster/a/core/y/values.yaml":   render.Header + "old y\n",
			"cluster/old/core/v/values.yaml": render.Header + "stale\n",
		})
		return dir
	}
	apply := func(t *testing.T, dir string, fault func(string) error) error {
		return recordedApply(t, dir, files, true, "", fault)
	}
	var steps []string
	if err := apply(t, setup(t), func(s string) error { steps = append(steps, s); return nil }); err != nil {
		t.Fatal(err)
	}
	disk := errors.New("disk full")
	for _, step := range steps {
		if step == "locked" || step == "clean" {
			continue // before the plan; after the commit
		}
		if strings.HasPrefix(step, "index") {
			// After the commit: the index is a cache, and failing to
			// write it fails nothing, and leaves nothing behind.
			dir := setup(t)
			if err := apply(t, dir, func(s string) error {
				if s == step {
					return disk
				}
				return nil
			}); err != nil {
				t.Errorf("%s failed: apply returned %v", step, err)
			}
			checkClean(t, dir)
			continue
		}
		dir := setup(t)
		before := readTree(t, dir)
		var undo []string
		err := apply(t, dir, func(s string) error {
			if s == step {
				return disk
			}
			if strings.HasPrefix(s, "undo-") {
				undo = append(undo, s)
			}
			return nil
		})
		if !errors.Is(err, disk) || !strings.HasSuffix(err.Error(), "nothing was changed") {
			t.Errorf("%s failed: apply returned %v", step, err)
		}
		if after := userTree(readTree(t, dir)); !reflect.DeepEqual(before, after) {
			t.Errorf("%s failed: directory changed\nbefore %v\nafter  %v", step, before, after)
		}
		checkClean(t, dir)

		// The rollback fails too, at each of its steps: the journal
		// stays, and the next Open finishes the rollback.
		for _, undoStep := range undo {
			if undoStep == "undo-clean" {
				continue // after the rollback's commit
			}
			dir := setup(t)
			err := apply(t, dir, func(s string) error {
				if s == step || s == undoStep {
					return disk
				}
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), "the next platformc run") {
				t.Errorf("%s, then %s failed: apply returned %v", step, undoStep, err)
			}
			var said []string
			d, err := Open(context.Background(), dir, Options{Notify: func(m string) { said = append(said, m) }})
			if err != nil {
				t.Fatalf("%s, then %s failed: %v", step, undoStep, err)
			}
			d.Close()
			if after := userTree(readTree(t, dir)); !reflect.DeepEqual(before, after) {
				t.Errorf("%s, then %s failed: directory changed\nbefore %v\nafter  %v", step, undoStep, before, after)
			}
			checkClean(t, dir)
			if len(said) != 1 || !strings.Contains(said[0], ": rolled back an interrupted platformc apply (") {
				t.Errorf("%s, then %s failed: the next Open said %q", step, undoStep, said)
			}
		}
	}
}

// TestSecondOpenWaits: while one Dir holds the lock, a second Open says
// once that it waits, for whom, and gives up when its context ends; the
// lock file is never removed.
func TestSecondOpenWaits(t *testing.T) {
	dir := t.TempDir()
	first, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(dir, metaDir, lockName)
	inode := inodeOf(t, lock)
	for _, readOnly := range []bool{false, true} {
		var said []string
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		_, err = Open(ctx, dir, Options{ReadOnly: readOnly, Notify: func(m string) { said = append(said, m) }})
		cancel()
		var busy *BusyError
		if !errors.As(err, &busy) || busy.PID != strconv.Itoa(os.Getpid()) {
			t.Errorf("read-only %v: second Open: %v; want a BusyError naming pid %d", readOnly, err, os.Getpid())
		}
		want := fmt.Sprintf("waiting for another platformc run writing %s (pid %d)", dir, os.Getpid())
		if !slices.Equal(said, []string{want}) {
			t.Errorf("read-only %v: second Open said %q; want once %q", readOnly, said, want)
		}
	}
	first.Close()
	second, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	second.Close()
	if inodeOf(t, lock) != inode {
		t.Errorf("the lock file was replaced")
	}
}

func inodeOf(t testing.TB, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func TestCheckPath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"cluster/a/core/x/values.yaml", true},
		{"argocd/development/applicationsets/x.yaml", true},
		{"", false},
		{"/etc/passwd", false},
		{"../outside", false},
		{"a/../../b", false},
		{"a//b", false},
		{"a/./b", false},
		{".git/config", false},
		{"a/.git/hooks/x", false},
		{".platformc.lock", false},
		{".platformc", false},
		{".platformc/lock", false},
		{"a/.platformc-stage-1/x", false},
		{"a\\b", false},
		{"a/", false},
	} {
		if err := CheckPath(tc.path); (err == nil) != tc.ok {
			t.Errorf("CheckPath(%q) = %v, want ok=%v", tc.path, err, tc.ok)
		}
	}
}

// FuzzCheckPath: whatever CheckPath accepts stays inside the directory.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{"cluster/a/values.yaml", "../x", "a/../b", "/abs", ".git", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckPath(p) != nil {
			return
		}
		full := filepath.Join("/out", filepath.FromSlash(p))
		if !strings.HasPrefix(full, "/out/") {
			t.Fatalf("%q accepted but leaves the directory: %s", p, full)
		}
		if strings.Contains("/"+p+"/", "/.git/") {
			t.Fatalf("%q accepted but reaches into .git", p)
		}
	})
}
