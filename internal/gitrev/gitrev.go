// Package gitrev reads a platform module as it is at a git revision from
// git's objects, never from the working tree or the index: it resolves the
// revision, lists the module's tree at it (git ls-tree) and copies each
// blob (git cat-file --batch) into a directory the caller owns, such as a
// temporary one, which the pipeline then evaluates like any module. It
// runs the git binary, which every machine that clones the platform has.
//
// Blobs are copied as git stores them: no checkout filter, no
// .gitattributes (export-ignore, eol, smudge) and no hook applies. A
// symlink (mode 120000) is written as a symlink with the same target, so
// that load refuses it, naming it, exactly as it refuses one in the
// working tree; nothing here follows it. A submodule is an empty
// directory, as in a checkout that has not initialised it.
package gitrev

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Repo is the git repository holding a module, and where the module is in
// it.
type Repo struct {
	// Top is the repository's top-level directory.
	Top string
	// Prefix is the module root relative to Top, slash-separated, without
	// a trailing slash; "" when the module is at the top.
	Prefix string
}

// Commit is a revision resolved to a commit.
type Commit struct {
	// Ref is the revision as it was given, e.g. origin/main.
	Ref string
	// ID is the commit's full object name.
	ID string
}

// Short is the commit's object name shortened to 12 digits, as reports
// show it.
func (c Commit) Short() string {
	if len(c.ID) > 12 {
		return c.ID[:12]
	}
	return c.ID
}

// String is "REF (SHORT)", how messages name the revision.
func (c Commit) String() string { return fmt.Sprintf("%s (%s)", c.Ref, c.Short()) }

// UsageError says that what was asked for cannot be read: the module is
// in no git repository, the revision does not exist, or the module did not
// exist at it. It is the command line's fault, not the platform's.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Find locates the repository holding dir, the module root.
func Find(ctx context.Context, dir string) (*Repo, error) {
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel", "--show-prefix")
	if err != nil {
		var xerr *exec.Error
		if errors.As(err, &xerr) {
			return nil, &UsageError{Msg: fmt.Sprintf("impact reads the revision with git, which cannot be run: %v", xerr.Err)}
		}
		return nil, &UsageError{Msg: fmt.Sprintf("%s is not in a git repository, or git cannot read it: %v", dir, err)}
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		return nil, &UsageError{Msg: fmt.Sprintf("%s is not inside the working tree of a git repository", dir)}
	}
	r := &Repo{Top: lines[0]}
	if len(lines) > 1 {
		r.Prefix = strings.TrimSuffix(lines[1], "/")
	}
	return r, nil
}

// Resolve resolves ref to a commit. A ref that names no commit is a
// *UsageError, which says when the clone is shallow, the usual reason in
// CI.
func (r *Repo) Resolve(ctx context.Context, ref string) (Commit, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		// Not a revision git accepts, and never an option to it.
		return Commit{}, &UsageError{Msg: fmt.Sprintf("--against %q: not a git revision (a branch, tag or commit, such as origin/main)", ref)}
	}
	out, err := git(ctx, r.Top, "rev-parse", "--verify", "--quiet", ref+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return Commit{}, ctx.Err()
		}
		msg := fmt.Sprintf("--against %s: no such commit in the repository %s", ref, r.Top)
		if shallow, _ := git(ctx, r.Top, "rev-parse", "--is-shallow-repository"); strings.TrimSpace(string(shallow)) == "true" {
			msg += "; it is a shallow clone: fetch the revision first (git fetch origin main, or fetch-depth: 0 in actions/checkout, GIT_DEPTH: 0 in GitLab CI)"
		}
		return Commit{}, &UsageError{Msg: msg}
	}
	return Commit{Ref: ref, ID: strings.TrimSpace(string(out))}, nil
}

// Snapshot is the module as it is at a commit: its files, listed from
// git's objects and not read yet.
type Snapshot struct {
	repo    *Repo
	commit  Commit
	entries []entry
}

// Module lists the module's files at c. A module path that was not a
// directory at c, or a directory without cue.mod, is a *UsageError.
func (r *Repo) Module(ctx context.Context, c Commit) (*Snapshot, error) {
	where := "the top of the repository"
	if r.Prefix != "" {
		where = r.Prefix + "/"
	}
	tree, err := r.moduleTree(ctx, c)
	if err != nil {
		return nil, err
	}
	if tree == "" {
		return nil, &UsageError{Msg: fmt.Sprintf("--against %s: the platform module at %s did not exist at that revision", c, where)}
	}
	out, err := git(ctx, r.Top, "ls-tree", "-r", "-z", "--full-tree", tree)
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", where, c, err)
	}
	entries, err := parseTree(out)
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", where, c, err)
	}
	if !slices.ContainsFunc(entries, func(e entry) bool { return e.path == "cue.mod" || strings.HasPrefix(e.path, "cue.mod/") }) {
		return nil, &UsageError{Msg: fmt.Sprintf("--against %s: %s held no CUE module (no cue.mod) at that revision", c, where)}
	}
	return &Snapshot{repo: r, commit: c, entries: entries}, nil
}

// Extract writes the module's files into dst, an empty directory: regular
// files with the bytes git stores, symlinks as symlinks, submodules as
// empty directories.
func (s *Snapshot) Extract(ctx context.Context, dst string) error {
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	return write(ctx, s.repo.Top, root, s.entries)
}

// moduleTree returns the object name of the module's tree at c, or "" if
// the module path was not a directory there.
func (r *Repo) moduleTree(ctx context.Context, c Commit) (string, error) {
	out, err := git(ctx, r.Top, "rev-parse", "--verify", "--quiet", c.ID+":"+r.Prefix)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", nil
	}
	id := strings.TrimSpace(string(out))
	kind, err := git(ctx, r.Top, "cat-file", "-t", id)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(string(kind)) != "tree" {
		return "", nil
	}
	return id, nil
}

// entry is one line of git ls-tree -r.
type entry struct {
	mode string
	kind string // blob or commit
	id   string
	path string // relative to the module root
}

// parseTree parses the NUL-terminated output of git ls-tree -r -z:
// "<mode> SP <type> SP <object> TAB <path>".
func parseTree(out []byte) ([]entry, error) {
	var entries []entry
	for len(out) > 0 {
		line, rest, ok := bytes.Cut(out, []byte{0})
		if !ok {
			return nil, fmt.Errorf("git ls-tree: unterminated entry %q", line)
		}
		out = rest
		meta, name, ok := bytes.Cut(line, []byte{'\t'})
		fields := strings.Fields(string(meta))
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("git ls-tree: unexpected entry %q", line)
		}
		p := string(name)
		// Git never stores such names, but a crafted tree could.
		if !fs.ValidPath(p) || p == "." {
			return nil, fmt.Errorf("git ls-tree: the path %q is not a relative path without . or .. elements", p)
		}
		entries = append(entries, entry{mode: fields[0], kind: fields[1], id: fields[2], path: p})
	}
	return entries, nil
}

// write writes the entries into root: regular files first, with their
// content from git cat-file --batch, then the symlinks, so that no file
// is ever written through one, and submodules as empty directories.
func write(ctx context.Context, top string, root *os.Root, entries []entry) error {
	var blobs, links []entry
	for _, e := range entries {
		switch {
		case e.kind == "commit" && e.mode == "160000":
			if err := root.MkdirAll(e.path, 0o755); err != nil {
				return err
			}
		case e.kind == "blob" && e.mode == "120000":
			links = append(links, e)
		case e.kind == "blob" && (e.mode == "100644" || e.mode == "100755"):
			blobs = append(blobs, e)
		default:
			return fmt.Errorf("%s: git object of type %s and mode %s, which a module does not hold", e.path, e.kind, e.mode)
		}
	}
	targets := map[string]string{}
	made := map[string]bool{".": true}
	mkdir := func(p string) error {
		dir := path.Dir(p)
		if made[dir] {
			return nil
		}
		made[dir] = true
		return root.MkdirAll(dir, 0o755)
	}
	err := catFiles(ctx, top, append(blobs, links...), func(e entry, data []byte) error {
		if e.mode == "120000" {
			targets[e.path] = string(data)
			return nil
		}
		if err := mkdir(e.path); err != nil {
			return err
		}
		f, err := root.OpenFile(e.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return err
	}
	for _, e := range links {
		if err := mkdir(e.path); err != nil {
			return err
		}
		if err := root.Symlink(targets[e.path], e.path); err != nil {
			return err
		}
	}
	return nil
}

// catFiles streams the entries' blobs through one git cat-file --batch,
// calling f with each in order.
func catFiles(ctx context.Context, top string, entries []entry, f func(entry, []byte) error) error {
	if len(entries) == 0 {
		return nil
	}
	cmd := exec.CommandContext(ctx, "git", "-C", top, "cat-file", "--batch")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	// Requests go in from another goroutine: git answers while it reads,
	// and a full pipe either way would block both.
	go func() {
		w := bufio.NewWriter(stdin)
		for _, e := range entries {
			fmt.Fprintln(w, e.id)
		}
		w.Flush()
		stdin.Close()
	}()
	r := bufio.NewReader(stdout)
	var readErr error
	for _, e := range entries {
		data, err := readObject(r, e.id)
		if err == nil {
			err = f(e, data)
		}
		if err != nil {
			readErr = fmt.Errorf("%s: %w", e.path, err)
			break
		}
	}
	if readErr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return readErr
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git cat-file: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// readObject reads one answer of git cat-file --batch:
// "<object> SP <type> SP <size> LF <contents> LF".
func readObject(r *bufio.Reader, id string) ([]byte, error) {
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	fields := strings.Fields(header)
	if len(fields) != 3 || fields[0] != id || fields[1] != "blob" {
		return nil, fmt.Errorf("git cat-file: unexpected answer %q for %s", strings.TrimSpace(header), id)
	}
	size, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("git cat-file: bad size in %q", strings.TrimSpace(header))
	}
	data := make([]byte, size+1)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	return data[:size], nil
}

// git runs git in dir and returns its stdout; a failure carries the first
// line of what git said.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		var xerr *exec.ExitError
		if errors.As(err, &xerr) {
			msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
			if msg == "" {
				msg = err.Error()
			}
			return nil, errors.New(msg)
		}
		return nil, err
	}
	return out, nil
}
