package gitrev

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repo makes a git repository in a temporary directory and returns a
// function running git in it.
func repo(t *testing.T) (string, func(args ...string) string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@corp.local", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@corp.local")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("init", "-q")
	return dir, run
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree reads dir: regular files as their content, symlinks as "-> target".
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		case d.IsDir():
			out[rel+"/"] = ""
		default:
			data, err := os.ReadFile(p)
			out[rel] = string(data)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExtractReadsTheCommit: the module's files come from the commit, as
// git stores them (not as a checkout filters them), symlinks as symlinks;
// what the working tree or the index hold instead is not seen, and
// neither is touched.
func TestExtractReadsTheCommit(t *testing.T) {
	dir, git := repo(t)
	writeFiles(t, dir, map[string]string{
		"README.md":                          "outside the module\n",
		".gitattributes":                     "*.cue export-ignore\nembed.txt text eol=crlf\n",
		"infra/cue.mod/module.cue":           "module: \"corp.local/platform\"\n",
		"infra/clusters/dev/a/cluster.cue":   "package clusters\n",
		"infra/bundles/embed.txt":            "line one\nline two\n",
		"infra/clusters/dev/a/.hidden.cue":   "package clusters\n",
		"infra/docs/deep/nested/notes.md":    "notes\n",
		"infra/clusters/prod/b/cluster.cue":  "package clusters\n// b\n",
		"infra/clusters/prod/b/values.json":  "{}\n",
		"infra/clusters/staging/c/empty.cue": "",
	})
	if err := os.Symlink("../dev/a", filepath.Join(dir, "infra/clusters/prod/link")); err != nil {
		t.Fatal(err)
	}
	git("add", "-A")
	git("commit", "-qm", "platform")
	// The working tree and the index move on.
	writeFiles(t, dir, map[string]string{
		"infra/clusters/dev/a/cluster.cue": "package clusters\n// edited\n",
		"infra/clusters/dev/new.cue":       "package clusters\n",
	})
	git("add", "infra/clusters/dev/a/cluster.cue")
	index, _ := os.ReadFile(filepath.Join(dir, ".git", "index"))
	status := git("status", "--porcelain")

	ctx := context.Background()
	r, err := Find(ctx, filepath.Join(dir, "infra"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Prefix != "infra" {
		t.Errorf("prefix %q, want infra", r.Prefix)
	}
	c, err := r.Resolve(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	snap, err := r.Module(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := snap.Extract(ctx, dst); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"bundles/":                     "",
		"bundles/embed.txt":            "line one\nline two\n",
		"clusters/":                    "",
		"clusters/dev/":                "",
		"clusters/dev/a/":              "",
		"clusters/dev/a/.hidden.cue":   "package clusters\n",
		"clusters/dev/a/cluster.cue":   "package clusters\n",
		"clusters/prod/":               "",
		"clusters/prod/b/":             "",
		"clusters/prod/b/cluster.cue":  "package clusters\n// b\n",
		"clusters/prod/b/values.json":  "{}\n",
		"clusters/prod/link":           "-> ../dev/a",
		"clusters/staging/":            "",
		"clusters/staging/c/":          "",
		"clusters/staging/c/empty.cue": "",
		"cue.mod/":                     "",
		"cue.mod/module.cue":           "module: \"corp.local/platform\"\n",
		"docs/":                        "",
		"docs/deep/":                   "",
		"docs/deep/nested/":            "",
		"docs/deep/nested/notes.md":    "notes\n",
	}
	got := tree(t, dst)
	for name, data := range want {
		if got[name] != data {
			t.Errorf("%s: %q, want %q", name, got[name], data)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: extracted, but not in the module at HEAD", name)
		}
	}
	if after, _ := os.ReadFile(filepath.Join(dir, ".git", "index")); !bytes.Equal(index, after) {
		t.Error("the index changed")
	}
	if after := git("status", "--porcelain"); after != status {
		t.Errorf("git status changed:\n%s\nwas:\n%s", after, status)
	}
}

// TestUsageErrors: what cannot be read is a *UsageError saying why.
func TestUsageErrors(t *testing.T) {
	dir, git := repo(t)
	writeFiles(t, dir, map[string]string{"README.md": "a repository\n"})
	git("add", "-A")
	git("commit", "-qm", "first")
	writeFiles(t, dir, map[string]string{"infra/cue.mod/module.cue": "module: \"corp.local/platform\"\n", "docs/x.md": "x\n"})
	git("add", "-A")
	git("commit", "-qm", "second")
	ctx := context.Background()

	if _, err := Find(ctx, t.TempDir()); !isUsage(err, "is not in a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
	r, err := Find(ctx, filepath.Join(dir, "infra"))
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"nosuch", "-x", "", "HEAD:infra", "HEAD~5"} {
		if _, err := r.Resolve(ctx, ref); !isUsage(err, "--against") {
			t.Errorf("Resolve(%q): %v, want a usage error", ref, err)
		}
	}
	first, err := r.Resolve(ctx, "HEAD~1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Module(ctx, first); !isUsage(err, "the platform module at infra/ did not exist at that revision") {
		t.Errorf("module not at HEAD~1: %v", err)
	}
	docs, err := Find(ctx, filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	head, err := docs.Resolve(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := docs.Module(ctx, head); !isUsage(err, "docs/ held no CUE module (no cue.mod)") {
		t.Errorf("no cue.mod: %v", err)
	}
}

func isUsage(err error, text string) bool {
	var uerr *UsageError
	return errors.As(err, &uerr) && strings.Contains(err.Error(), text)
}

func TestParseTreeRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../x", "/etc/passwd", "a/../../b", "."} {
		out := []byte("100644 blob 0123456789abcdef0123456789abcdef01234567\t" + name + "\x00")
		if _, err := parseTree(out); err == nil {
			t.Errorf("%q: accepted", name)
		}
	}
	out := []byte("100644 blob 0123456789abcdef0123456789abcdef01234567\ta b/c\td.cue\x00120000 blob 0123456789abcdef0123456789abcdef01234568\tl\x00")
	entries, err := parseTree(out)
	if err != nil || len(entries) != 2 || entries[0].path != "a b/c\td.cue" || entries[1].mode != "120000" {
		t.Errorf("parseTree: %+v, %v", entries, err)
	}
}

// FuzzParseTree: whatever git ls-tree (or a crafted tree) says, every path
// accepted is relative, clean and free of . and .. elements, so that
// writing it into the destination cannot leave it.
func FuzzParseTree(f *testing.F) {
	f.Add([]byte("100644 blob 0123456789abcdef0123456789abcdef01234567\tclusters/dev/a/cluster.cue\x00"))
	f.Add([]byte("120000 blob 0123456789abcdef0123456789abcdef01234567\tclusters/prod/link\x00160000 commit 0123456789abcdef0123456789abcdef01234567\tvendor/sub\x00"))
	f.Add([]byte("100644 blob 01\t../escape\x00"))
	f.Add([]byte("100644 blob 01\t/abs\x00"))
	f.Add([]byte("100644 blob 01\ta//b\x00"))
	f.Add([]byte("100644 blob 01\tno-terminator"))
	f.Fuzz(func(t *testing.T, out []byte) {
		entries, err := parseTree(out)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !fs.ValidPath(e.path) || e.path == "." || filepath.IsAbs(e.path) || !filepath.IsLocal(e.path) {
				t.Errorf("accepted %q", e.path)
			}
		}
	})
}
