//go:build linux

package output

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// gitFixture makes, in a new directory T:
//
//	T/repo/.git/                 a repository's git directory
//	T/repo/platform/cue.mod/     the platform module
//	T/repo/platform/out/         where builds go
//	T/repo/platform/gitlink  ->  ../.git
//	T/repo/platform/self     ->  .
//	T/repo/platform/up       ->  ..
//	T/repo/platform/later    ->  ../.git/not-yet (dangling)
//	T/repo/values/.git/          a checkout of the values repo
//	T/bare.git/                  a bare repository
//
// and returns T and the module's directory.
func gitFixture(t testing.TB) (root, module string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	module = filepath.Join(root, "repo", "platform")
	for _, d := range []string{"repo/.git", "repo/values/.git", "bare.git", "repo/platform/cue.mod", "repo/platform/out"} {
		p := filepath.Join(root, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(d, ".git") {
			writeTree(t, p, map[string]string{"HEAD": "ref: refs/heads/main\n", "objects/info/x": "", "refs/heads/x": ""})
		}
	}
	for link, target := range map[string]string{"gitlink": "../.git", "self": ".", "up": "..", "later": "../.git/not-yet"} {
		if err := os.Symlink(target, filepath.Join(module, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root, module
}

func TestCheckDir(t *testing.T) {
	root, module := gitFixture(t)
	t.Chdir(module)
	for _, tc := range []struct {
		dir  string
		want string // what the refusal says; "" for none
	}{
		{"out", ""},
		{"out/new/deeper", ""},
		{"self/out", ""},
		{"../values", ""},
		{"../values/cluster/new", ""},
		{filepath.Join(root, "elsewhere"), ""},
		{"", "is empty"},
		{"/", "is the root directory"},
		{".", "is the platform module itself"},
		{"clusters/..", "is the platform module itself"},
		{"self", "resolves to " + module + ", the platform module itself"},
		{"up/platform", "resolves to " + module + ", the platform module itself"},
		{"..", "is a parent of the platform module"},
		{"up", "resolves to " + filepath.Join(root, "repo") + ", a parent of the platform module"},
		{"self/..", "resolves to " + filepath.Join(root, "repo") + ", a parent of the platform module"},
		{root, "is a parent of the platform module"},
		{"../.git", "is inside a .git directory: platformc never writes there"},
		{"../.git/objects/new", "is inside a .git directory"},
		{"../values/.git", "is inside a .git directory"},
		{".git", "is inside a .git directory"},
		{"gitlink", "resolves to " + filepath.Join(root, "repo/.git") + ", inside a .git directory"},
		{"gitlink/new/dir", "resolves to " + filepath.Join(root, "repo/.git/new/dir") + ", inside a .git directory"},
		{"later", "resolves to " + filepath.Join(root, "repo/.git/not-yet") + ", inside a .git directory"},
		{"later/x", "resolves to " + filepath.Join(root, "repo/.git/not-yet/x") + ", inside a .git directory"},
		{filepath.Join(root, "bare.git"), "is inside the git directory " + filepath.Join(root, "bare.git") + " (it holds HEAD, objects and refs): platformc never writes there"},
		{filepath.Join(root, "bare.git/refs/new"), "is inside the git directory " + filepath.Join(root, "bare.git")},
	} {
		err := CheckDir(tc.dir, module)
		var derr *DirError
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckDir(%q) = %v; want it accepted", tc.dir, err)
		case tc.want != "" && (!errors.As(err, &derr) || !strings.HasPrefix(derr.Reason, tc.want)):
			t.Errorf("CheckDir(%q) = %v; want a DirError saying %q", tc.dir, err, tc.want)
		}
	}
	// Without a module (init), only the root and git directories are refused.
	if err := CheckDir(".", ""); err != nil {
		t.Errorf("CheckDir(., no module) = %v", err)
	}
	if err := CheckDir("gitlink", ""); err == nil {
		t.Errorf("CheckDir(gitlink, no module) accepted")
	}
}

// oPath is Linux's O_PATH, which package syscall does not name: a handle
// on a path that opens nothing for reading or writing.
const oPath = 0o10000000

// FuzzCheckDir: for every path that exists, CheckDir resolves it as the
// kernel does (the oracle: open(2) with O_PATH, then /proc/self/fd), and
// what it accepts is neither the root, the module or a parent of it, nor
// inside a git directory. Nothing is written: only paths that exist are
// compared, and O_PATH opens nothing for reading.
func FuzzCheckDir(f *testing.F) {
	for _, s := range []string{"out", ".", "..", "self/..", "up/platform", "gitlink/x", "later", "../values/.git/refs", "../../bare.git/objects", "self/self/../platform/out", "up/../.git", "../../../..", "out/../../.git"} {
		f.Add(s)
	}
	_, module := gitFixture(f)
	f.Fuzz(func(t *testing.T, rel string) {
		if strings.HasPrefix(rel, "/") || strings.ContainsRune(rel, 0) {
			return
		}
		p := module + "/" + rel
		err := CheckDir(p, module)
		fd, oerr := syscall.Open(p, oPath|syscall.O_CLOEXEC, 0)
		if oerr != nil {
			return // not there, or not reachable: nothing to compare with
		}
		kernel, rerr := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		syscall.Close(fd)
		if rerr != nil {
			t.Skip("no /proc")
		}
		if got, err := resolve(p); err != nil || got != kernel {
			t.Fatalf("resolve(%q) = %q, %v; the kernel says %q", p, got, err, kernel)
		}
		if err != nil {
			return
		}
		switch {
		case kernel == "/":
			t.Fatalf("%q accepted: the root directory", rel)
		case kernel == module || strings.HasPrefix(module, kernel+"/"):
			t.Fatalf("%q accepted: the module or a parent of it (%s)", rel, kernel)
		case hasGit(kernel):
			t.Fatalf("%q accepted: inside .git (%s)", rel, kernel)
		}
		for d := kernel; d != "/"; d = filepath.Dir(d) {
			if gitDir(d) {
				t.Fatalf("%q accepted: inside the git directory %s", rel, d)
			}
		}
	})
}
