package load

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// tree makes a directory of files (content by slash path), symlinks
// (target after "->") and FIFOs ("|fifo").
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case len(content) > 3 && content[:3] == "-> ":
			err = os.Symlink(content[3:], p)
		case content == "|fifo":
			err = syscall.Mkfifo(p, 0o644)
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// withDeadline fails t if f does not return: a read that blocks (a FIFO)
// is a failure, not a hung test run.
func withDeadline(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("blocked")
	}
}

func TestModuleFS(t *testing.T) {
	outside := t.TempDir()
	tree(t, outside, map[string]string{"secret": "TOKEN=hunter2", "dir/secret": "TOKEN=hunter2"})
	mod := t.TempDir()
	tree(t, mod, map[string]string{
		"a/file.txt":      "ok",
		"a/b/deep.txt":    "ok",
		"a/out":           "-> " + filepath.Join(outside, "secret"),
		"a/in":            "-> file.txt",
		"a/dangling":      "-> nowhere",
		"a/environ":       "-> /proc/self/environ",
		"a/zero":          "-> /dev/zero",
		"linkdir":         "-> a",
		"outdir":          "-> " + filepath.Join(outside, "dir"),
		"a/up":            "-> ../..",
		"a/fifo":          "|fifo",
		"a/sub/fifo.cue":  "|fifo",
		"a/sub/plain.cue": "package x",
	})
	fsys, err := openModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// bad is the path the error names, "" for none; kind the mode
		// refused, 0 for another error.
		bad  string
		kind fs.FileMode
	}{
		{"a/file.txt", "", 0},
		{"a/b/deep.txt", "", 0},
		{"a/out", "a/out", fs.ModeSymlink},
		{"a/in", "a/in", fs.ModeSymlink},
		{"a/dangling", "a/dangling", fs.ModeSymlink},
		{"a/environ", "a/environ", fs.ModeSymlink},
		{"a/zero", "a/zero", fs.ModeSymlink},
		{"linkdir/file.txt", "linkdir", fs.ModeSymlink},
		{"outdir/secret", "outdir", fs.ModeSymlink},
		{"a/up/etc/passwd", "a/up", fs.ModeSymlink},
		{"a/fifo", "a/fifo", fs.ModeNamedPipe},
		{"a/sub/fifo.cue", "a/sub/fifo.cue", fs.ModeNamedPipe},
		{"../x", "../x", 0},
		{"/etc/passwd", "/etc/passwd", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withDeadline(t, func() {
				data, err := fs.ReadFile(fsys, tc.name)
				if tc.bad == "" {
					if err != nil || string(data) != "ok" {
						t.Fatalf("ReadFile = %q, %v", data, err)
					}
					return
				}
				var pe *fs.PathError
				if !errors.As(err, &pe) || pe.Path != tc.bad {
					t.Fatalf("ReadFile = %q, %v; want an error at %s", data, err, tc.bad)
				}
				var kind kindError
				if tc.kind != 0 && (!errors.As(err, &kind) || kind.mode.Type() != tc.kind) {
					t.Fatalf("ReadFile: %v; want it refused as %v", err, tc.kind)
				}
				if _, err := fs.Stat(fsys, tc.name); err == nil {
					t.Fatal("Stat succeeds")
				}
			})
		})
	}
	// Listing a directory shows its symlinks and FIFOs as such; listing
	// through a symlink is refused.
	entries, err := fs.ReadDir(fsys, "a")
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(entries, func(e fs.DirEntry) bool { return e.Name() == "out" }); i < 0 || entries[i].Type() != fs.ModeSymlink {
		t.Errorf("a/out listed as %v", entries)
	}
	if _, err := fs.ReadDir(fsys, "linkdir"); err == nil {
		t.Error("ReadDir through a symlink")
	}
}

// Glob, which @embed(glob=...) uses, reports a directory it cannot read
// instead of skipping it as fs.Glob does.
func TestModuleFSGlob(t *testing.T) {
	mod := t.TempDir()
	tree(t, mod, map[string]string{
		"d/a.txt":      "a",
		"d/b.txt":      "-> a.txt",
		"d/x/c.txt":    "c",
		"d/y":          "-> x",
		"d/z/c.txt":    "c",
		"d/notdir.txt": "n",
	})
	fsys, err := openModule(mod)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pattern string
		want    []string
		bad     string
	}{
		{"d/*.txt", []string{"d/a.txt", "d/b.txt", "d/notdir.txt"}, ""}, // b.txt is refused when read
		{"d/*/c.txt", nil, "d/b.txt"},                                   // the first symlink "d/*" matches
		{"d/[xz]/c.txt", []string{"d/x/c.txt", "d/z/c.txt"}, ""},
		{"d/y/*.txt", nil, "d/y"},
		{"nowhere/*.txt", nil, ""},
		{"d/notdir.txt/*", nil, ""},
		{"d/a.txt", []string{"d/a.txt"}, ""},
		{"d/none.txt", nil, ""},
	} {
		got, err := fs.Glob(fsys, tc.pattern)
		var pe *fs.PathError
		switch {
		case tc.bad != "" && (!errors.As(err, &pe) || pe.Path != tc.bad):
			t.Errorf("Glob(%q) = %v, %v; want an error at %s", tc.pattern, got, err, tc.bad)
		case tc.bad == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("Glob(%q) = %v, %v; want %v", tc.pattern, got, err, tc.want)
		}
	}
}
