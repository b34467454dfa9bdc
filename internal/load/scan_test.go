package load

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
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

// The files @embed reads are inputs of the directory of the file that
// embeds them (and so of the directories below it), or of every cluster
// when the file is outside clusters/; nothing else changes a hash.
func TestScanHashesEmbeds(t *testing.T) {
	mod := reference(t)
	tree(t, mod, map[string]string{
		"clusters/dev/dev-alpha/embed.cue":   "@extern(embed)\n\npackage clusters\n\n_data: _ @embed(file=data.json)\n_notes: _ @embed(glob=notes/*.txt, type=text)\n",
		"clusters/dev/dev-alpha/data.json":   `{"a": 1}`,
		"clusters/dev/dev-alpha/notes/a.txt": "a",
		"clusters/dev/embed.cue":             "@extern(embed)\n\npackage clusters\n\n_env: _ @embed(file=env.json)\n",
		"clusters/dev/env.json":              `{"env": 1}`,
		"bundles/embed.cue":                  "@extern(embed)\n\npackage bundles\n\n_strategy: _ @embed(file=strategy.json)\n",
		"bundles/strategy.json":              `"annotations"`,
		"clusters/dev/dev-alpha/README.md":   "not an input",
	})
	hashes := func() map[string]Hash {
		t.Helper()
		in, err := scan(t, mod)
		if err != nil {
			t.Fatalf("Scan: %q", messages(err))
		}
		h := map[string]Hash{"shared": in.Shared}
		for _, d := range in.Dirs {
			rel, _ := filepath.Rel(mod, d.Dir)
			h[filepath.ToSlash(rel)] = d.Hash
		}
		return h
	}
	before := hashes()
	for _, tc := range []struct {
		change  map[string]string
		changed []string
	}{
		{map[string]string{"clusters/dev/dev-alpha/README.md": "still not"}, nil},
		{map[string]string{"clusters/dev/dev-alpha/data.json": `{"a": 2}`}, []string{"clusters/dev/dev-alpha"}},
		{map[string]string{"clusters/dev/dev-alpha/notes/b.txt": "b"}, []string{"clusters/dev/dev-alpha"}},
		{map[string]string{"clusters/dev/dev-alpha/notes/a.txt": "A"}, []string{"clusters/dev/dev-alpha"}},
		{map[string]string{"clusters/dev/env.json": `{"env": 2}`}, []string{"clusters/dev", "clusters/dev/dev-alpha"}},
		{map[string]string{"bundles/strategy.json": `"env-vars"`}, []string{"shared"}},
	} {
		tree(t, mod, tc.change)
		after := hashes()
		for k := range before {
			if changed := after[k] != before[k]; changed != slices.Contains(tc.changed, k) {
				t.Errorf("after %v: %s changed=%v", tc.change, k, changed)
			}
		}
		before = after
	}
	// A file embedded that does not exist is left for CUE to report, and
	// its coming into being changes the hash.
	if err := os.Remove(filepath.Join(mod, "clusters/dev/dev-alpha/data.json")); err != nil {
		t.Fatal(err)
	}
	if after := hashes(); after["clusters/dev/dev-alpha"] == before["clusters/dev/dev-alpha"] {
		t.Error("removing an embedded file leaves the hash")
	}
}

// An @embed through a symlink is an error at the attribute that names
// the symlink, and the file's content is in no error.
func TestScanEmbedSymlink(t *testing.T) {
	outside := t.TempDir()
	tree(t, outside, map[string]string{"secret": "TOKEN=hunter2\n", "dir/hostname": "TOKEN=hunter2\n"})
	for _, tc := range []struct {
		attr  string
		files map[string]string
		bad   string
	}{
		{"file=secret.txt, type=text", map[string]string{"secret.txt": "-> " + filepath.Join(outside, "secret")}, "secret.txt"},
		{"file=secret.txt, type=text", map[string]string{"secret.txt": "-> /proc/self/environ"}, "secret.txt"},
		{"file=secret.txt, type=text", map[string]string{"secret.txt": "-> cluster.cue"}, "secret.txt"},
		{"file=etc/hostname, type=text", map[string]string{"etc": "-> " + filepath.Join(outside, "dir")}, "etc"},
		{"glob=notes/*.txt, type=text", map[string]string{"notes/a.txt": "a", "notes/b.txt": "-> " + filepath.Join(outside, "secret")}, "notes/b.txt"},
		{"glob=*/hostname, type=text", map[string]string{"a/hostname": "a", "etc": "-> " + filepath.Join(outside, "dir")}, "etc"},
		{"file=fifo.txt, type=text", map[string]string{"fifo.txt": "|fifo"}, "fifo.txt"},
	} {
		t.Run(tc.attr+" "+tc.bad, func(t *testing.T) {
			mod := reference(t)
			files := map[string]string{"clusters/dev/dev-alpha/leak.cue": "@extern(embed)\n\npackage clusters\n\n_leak: _ @embed(" + tc.attr + ")\n"}
			for name, content := range tc.files {
				files["clusters/dev/dev-alpha/"+name] = content
			}
			tree(t, mod, files)
			_, err := scan(t, mod)
			bad := "clusters/dev/dev-alpha/" + tc.bad
			want := filepath.Join(mod, "clusters/dev/dev-alpha/leak.cue") + ":5:10: @embed: " + bad + " is "
			if !mentions(err, want) {
				t.Fatalf("Scan: %q; want %q", messages(err), want)
			}
			if mentions(err, "hunter2") {
				t.Fatalf("the embedded file's content is in the error: %q", messages(err))
			}
		})
	}
}

// Load, on its own, confines what cue/load read and what @embed reads
// during evaluation to the module: a symlinked file is an error, and an
// embed through a symlink reads nothing, whatever Scan saw before.
func TestLoadConfines(t *testing.T) {
	outside := t.TempDir()
	tree(t, outside, map[string]string{"secret": "TOKEN=hunter2\n", "leak.cue": "package clusters\n\nclusters: \"dev-alpha\": labels: team: \"hunter2\"\n"})
	env := func(string) (string, bool) { return "", false }

	mod := reference(t)
	tree(t, mod, map[string]string{"clusters/dev/dev-alpha/leak.cue": "-> " + filepath.Join(outside, "leak.cue")})
	_, err := Load(mod, []string{filepath.Join(mod, "clusters/dev/dev-alpha")}, Options{Env: env})
	if !mentions(err, "clusters/dev/dev-alpha/leak.cue is a symlink") {
		t.Errorf("Load with a symlinked .cue file: %q", messages(err))
	}

	mod = reference(t)
	tree(t, mod, map[string]string{
		"clusters/dev/dev-alpha/leak.cue":   "@extern(embed)\n\npackage clusters\n\nclusters: \"dev-alpha\": annotations: \"corp.local/note\": _ @embed(file=secret.txt, type=text)\n",
		"clusters/dev/dev-alpha/secret.txt": "-> " + filepath.Join(outside, "secret"),
	})
	lp, err := Load(mod, []string{filepath.Join(mod, "clusters/dev/dev-alpha")}, Options{Env: env})
	if err != nil {
		t.Fatalf("Load: %q", messages(err))
	}
	v := cuecontext.New().BuildInstance(lp.Clusters[0].Instance)
	note := v.LookupPath(cue.ParsePath(`clusters."dev-alpha".annotations."corp.local/note"`))
	s, serr := note.String()
	if serr == nil || strings.Contains(s, "hunter2") || strings.Contains(serr.Error(), "hunter2") {
		t.Fatalf("embedded through a symlink: %q, %v", s, serr)
	}

	// The same embed of a regular file of the module reads it.
	if err := os.Remove(filepath.Join(mod, "clusters/dev/dev-alpha/secret.txt")); err != nil {
		t.Fatal(err)
	}
	tree(t, mod, map[string]string{"clusters/dev/dev-alpha/secret.txt": "not a secret\n"})
	lp, err = Load(mod, []string{filepath.Join(mod, "clusters/dev/dev-alpha")}, Options{Env: env})
	if err != nil {
		t.Fatalf("Load: %q", messages(err))
	}
	v = cuecontext.New().BuildInstance(lp.Clusters[0].Instance)
	note = v.LookupPath(cue.ParsePath(`clusters."dev-alpha".annotations."corp.local/note"`))
	if s, err := note.String(); err != nil || s != "not a secret\n" {
		t.Fatalf("embedded a regular file: %q, %v", s, err)
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

// TestScanWalkHashesAsFiles: the walk that reads the clusters' directories
// several at a time, each opened once, hashes each directory as reading
// it file by file through the module's view does, and finds the same
// directories, in order, whichever goroutine reads which.
func TestScanWalkHashesAsFiles(t *testing.T) {
	mod := reference(t)
	for i := range 40 {
		dir := filepath.Join(mod, ClustersDir, "dev", "many", string(rune('a'+i%26))+strings.Repeat("x", i/26))
		if err := os.MkdirAll(filepath.Join(dir, "deeper"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"a.cue", "b.cue", "deeper/c.cue", "notes.txt", "_skipped.cue"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("package clusters\n// "+f+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	whole, err := Scan(Config{Dir: mod})
	if err != nil {
		t.Fatal(err)
	}
	if len(whole.Dirs) < 80 || !slices.IsSortedFunc(whole.Dirs, func(a, b DirInput) int { return strings.Compare(a.Dir, b.Dir) }) {
		t.Fatalf("%d directories, sorted: %v", len(whole.Dirs), slices.IsSortedFunc(whole.Dirs, func(a, b DirInput) int { return strings.Compare(a.Dir, b.Dir) }))
	}
	fsys, err := openModule(whole.Root)
	if err != nil {
		t.Fatal(err)
	}
	files := &scanner{fsys: fsys, own: map[string]Hash{}, tags: map[string]bool{}, required: map[string]bool{}, tagPos: map[string]token.Pos{}, refusal: map[string]cueerrors.Error{}}
	for _, d := range whole.Dirs {
		rel, _ := filepath.Rel(whole.Root, d.Dir)
		if got := files.dir(filepath.ToSlash(rel)); got != d.Hash {
			t.Errorf("%s: the walk's hash is not the hash of its files", rel)
		}
		one, err := Scan(Config{Dir: mod, Patterns: []string{"./" + filepath.ToSlash(rel)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(one.Dirs) != 1 || one.Dirs[0] != d {
			t.Errorf("%s alone: %v", rel, one.Dirs)
		}
	}
	again, err := Scan(Config{Dir: mod})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Dirs, whole.Dirs) || again.Shared != whole.Shared {
		t.Error("a second scan found other directories or hashes")
	}
}
