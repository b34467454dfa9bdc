package load

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cueerrors "cuelang.org/go/cue/errors"
)

// reference copies the repository's reference platform (the directories
// a build reads) into a new module directory.
func reference(t *testing.T) string {
	t.Helper()
	mod := t.TempDir()
	for _, dir := range []string{"cue.mod", SchemaDir, PlatformDir, BundlesDir, ClustersDir} {
		err := filepath.WalkDir(filepath.Join("..", "..", dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(filepath.Join("..", ".."), p)
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			target := filepath.Join(mod, rel)
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return mod
}

// messages are the messages of a Scan or Load error, each after its
// position.
func messages(err error) []string {
	var out []string
	for _, e := range cueerrors.Errors(err) {
		out = append(out, e.Position().String()+": "+e.Error())
	}
	return out
}

func mentions(err error, s string) bool {
	for _, m := range messages(err) {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func scan(t *testing.T, mod string, patterns ...string) (*Inputs, error) {
	t.Helper()
	var in *Inputs
	var err error
	withDeadline(t, func() { in, err = Scan(Config{Dir: mod, Patterns: patterns}) })
	return in, err
}

// A symlink at every path a build reads, to the very file or directory
// it replaces, outside the module or inside it, stops Scan with an error
// naming it; nothing is skipped, which would prune a cluster.
func TestScanSymlinkAtEveryPath(t *testing.T) {
	src := reference(t)
	if _, err := scan(t, src); err != nil {
		t.Fatalf("reference platform: %v", messages(err))
	}
	var paths []string
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if p != src {
			rel, _ := filepath.Rel(src, p)
			paths = append(paths, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, inside := range []bool{false, true} {
		for _, p := range paths {
			name := p + " outside"
			if inside {
				name = p + " inside"
			}
			t.Run(name, func(t *testing.T) {
				mod := reference(t)
				stash := filepath.Join(t.TempDir(), "stash")
				if inside {
					stash = filepath.Join(mod, "_stash")
				}
				target := filepath.Join(mod, filepath.FromSlash(p))
				if err := os.Rename(target, stash); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(stash, target); err != nil {
					t.Fatal(err)
				}
				in, err := scan(t, mod)
				if err == nil {
					t.Fatalf("Scan accepted the symlink; selected %d directories", len(in.Dirs))
				}
				if _, ok := err.(*UsageError); ok || !mentions(err, p+" is a symlink (to "+stash+")") {
					t.Fatalf("Scan: %T %q; want an error naming %s", err, messages(err), p)
				}
			})
		}
	}
}

// A FIFO, socket or device is refused under clusters/ and the platform's
// directories whatever its name, elsewhere if it is named as a .cue file,
// without blocking on it.
func TestScanSpecialFiles(t *testing.T) {
	for _, tc := range []struct {
		path string
		bad  bool
	}{
		{"clusters/dev/dev-alpha/x.cue", true},
		{"clusters/dev/dev-alpha/notes", true},
		{"clusters/x.cue", true},
		{"bundles/x.cue", true},
		{"schema/notes", true},
		{"cue.mod/pkg/example.com/lib/lib.cue", true},
		{"lib/x.cue", true},
		{"lib/notes", false},
		{"clusters/dev/_skipped/x.cue", false},
	} {
		t.Run(tc.path, func(t *testing.T) {
			mod := reference(t)
			tree(t, mod, map[string]string{tc.path: "|fifo"})
			_, err := scan(t, mod)
			if !tc.bad {
				if err != nil {
					t.Fatalf("Scan: %q", messages(err))
				}
				return
			}
			if !mentions(err, tc.path+" is a named pipe (FIFO)") {
				t.Fatalf("Scan: %q; want an error naming %s", messages(err), tc.path)
			}
		})
	}
}

// A directory under clusters/ that cannot be read stops Scan: it is not a
// directory without clusters.
func TestScanUnreadableDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop root from reading")
	}
	for _, p := range []string{"clusters/prod", "clusters/prod/prod-edge-1", "bundles", "clusters"} {
		t.Run(p, func(t *testing.T) {
			mod := reference(t)
			dir := filepath.Join(mod, filepath.FromSlash(p))
			if err := os.Chmod(dir, 0); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(dir, 0o755)
			_, err := scan(t, mod)
			if !mentions(err, p+" cannot be read (permission denied)") {
				t.Fatalf("Scan: %q; want an error naming %s", messages(err), p)
			}
		})
	}
}

// A pattern naming a symlinked directory is refused like the symlink met
// on the way: a platform error naming it, not "no such directory".
func TestScanPatternAtSymlink(t *testing.T) {
	mod := reference(t)
	p := filepath.Join(mod, "clusters", "prod", "prod-edge-1")
	if err := os.Rename(p, filepath.Join(mod, "_stash")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(mod, "_stash"), p); err != nil {
		t.Fatal(err)
	}
	for _, pat := range []string{"./clusters/prod/prod-edge-1", "./clusters/prod/prod-edge-1/...", "./clusters/prod/..."} {
		_, err := scan(t, mod, pat)
		if _, ok := err.(*UsageError); ok || !mentions(err, "clusters/prod/prod-edge-1 is a symlink") {
			t.Errorf("pattern %s: %T %q; want the symlink named", pat, err, messages(err))
		}
	}
}

// A cue.mod that is a symlink is found, and refused, rather than passed
// over for a module further up.
func TestModuleRootSymlink(t *testing.T) {
	mod := reference(t)
	stash := filepath.Join(t.TempDir(), "cue.mod")
	if err := os.Rename(filepath.Join(mod, "cue.mod"), stash); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(stash, filepath.Join(mod, "cue.mod")); err != nil {
		t.Fatal(err)
	}
	root, err := ModuleRoot(filepath.Join(mod, "clusters", "dev"))
	if err != nil || root != mod {
		t.Fatalf("ModuleRoot = %s, %v; want %s", root, err, mod)
	}
	if _, err := scan(t, mod); !mentions(err, "cue.mod is a symlink") {
		t.Fatalf("Scan: %q", messages(err))
	}
	var uerr *UsageError
	if errors.As(err, &uerr) {
		t.Fatal("a usage error")
	}
}
