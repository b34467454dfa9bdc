package load

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// moduleFS is the module as platformc reads it: an [fs.FS] over an
// [os.Root] at the module root, so that no path and no symlink leads out
// of the module, which refuses besides every symlink on the way, even one
// that stays inside, and every file that is neither a regular file nor a
// directory. Scan reads the module through it, and so does every @embed
// of the files cue/load loads (see confine): the file platformc reads is
// the file at that path in the module, a FIFO cannot block a read nor a
// device make one endless.
//
// The symlink checks look before they open: a file or directory swapped
// for a symlink in between, by someone writing the module during the
// build, can at worst lead to another file of the module, never out of
// it, since os.Root resolves every open within the root.
type moduleFS struct {
	root *os.Root
	// dir is the absolute module root.
	dir string
	// base is the directory of the module names are relative to: "." but
	// in what Sub returns. Errors name paths from the module root.
	base string
	// dirs holds the directories found to be directories, not symlinks:
	// each parent is checked once, not once per file.
	dirs *sync.Map
}

// openModule opens the module at root for reading. The os.Root is closed
// when it is no longer reachable: the positions of the files cue/load
// loads keep it (see confine), for @embed to read through during
// evaluation, after Load has returned.
func openModule(root string) (*moduleFS, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	return &moduleFS{root: r, dir: root, base: ".", dirs: new(sync.Map)}, nil
}

// abs is the absolute file name of a path of the module.
func (m *moduleFS) abs(name string) string {
	return filepath.Join(m.dir, filepath.FromSlash(name))
}

// rel is the path in the module of an absolute file name, if it is in it.
func (m *moduleFS) rel(name string) (string, bool) {
	r, err := filepath.Rel(m.dir, name)
	if err != nil || !filepath.IsLocal(r) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// kindError is why moduleFS refuses a path: it is a symlink, or neither a
// regular file nor a directory.
type kindError struct{ mode fs.FileMode }

func (e kindError) Error() string {
	switch t := e.mode.Type(); {
	case t&fs.ModeSymlink != 0:
		return "is a symlink"
	case t&fs.ModeNamedPipe != 0:
		return "is a named pipe (FIFO)"
	case t&fs.ModeSocket != 0:
		return "is a socket"
	case t&fs.ModeDevice != 0:
		return "is a device"
	}
	return "is not a regular file or a directory"
}

// kindErr refuses a symlink and what is neither a file nor a directory.
func kindErr(op, name string, mode fs.FileMode) error {
	if t := mode.Type(); t != 0 && t != fs.ModeDir {
		return &fs.PathError{Op: op, Path: name, Err: kindError{mode}}
	}
	return nil
}

// refusal is the error for a path of the module that platformc does not
// read, at pos if there is one: it names the path and says what is
// allowed. what prefixes the message, as in "@embed: ".
func (m *moduleFS) refusal(pos token.Pos, what string, err error) cueerrors.Error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return cueerrors.Newf(pos, "%s%v", what, err)
	}
	var kind kindError
	switch {
	case errors.As(err, &kind) && kind.mode.Type() == fs.ModeSymlink:
		target, _ := m.root.Readlink(pe.Path)
		return cueerrors.Newf(pos, "%s%s is a symlink (to %s); platformc reads nothing through a symlink in the module: put the file or directory itself there",
			what, pe.Path, target)
	case errors.As(err, &kind):
		return cueerrors.Newf(pos, "%s%s %s; platformc reads only regular files and directories in the module", what, pe.Path, kind)
	case errors.Is(err, fs.ErrPermission):
		return cueerrors.Newf(pos, "%s%s cannot be read (permission denied); platformc stops rather than build without it", what, pe.Path)
	}
	return cueerrors.Newf(pos, "%s%s cannot be read (%v); platformc stops rather than build without it", what, pe.Path, pe.Err)
}

// full is the path from the module root of a name relative to m.base.
func (m *moduleFS) full(op, name string) (string, error) {
	if !fs.ValidPath(name) {
		return "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return path.Join(m.base, name), nil
}

// lstat checks that name, a path from the module root, and every
// directory above it are neither symlinks nor special files, and returns
// name's FileInfo.
func (m *moduleFS) lstat(op, name string) (fs.FileInfo, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	for i := range len(name) {
		if name[i] == '/' {
			if err := m.checkDir(op, name[:i]); err != nil {
				return nil, err
			}
		}
	}
	fi, err := m.root.Lstat(name)
	if err != nil {
		return nil, err
	}
	return fi, kindErr(op, name, fi.Mode())
}

func (m *moduleFS) checkDir(op, dir string) error {
	if _, ok := m.dirs.Load(dir); ok {
		return nil
	}
	fi, err := m.root.Lstat(dir)
	if err != nil {
		return err
	}
	if err := kindErr(op, dir, fi.Mode()); err != nil {
		return err
	}
	if !fi.IsDir() {
		return &fs.PathError{Op: op, Path: dir, Err: syscall.ENOTDIR}
	}
	m.dirs.Store(dir, true)
	return nil
}

// Open implements fs.FS.
func (m *moduleFS) Open(name string) (fs.File, error) {
	name, err := m.full("open", name)
	if err != nil {
		return nil, err
	}
	fi, err := m.lstat("open", name)
	if err != nil {
		return nil, err
	}
	// O_NONBLOCK: a FIFO swapped in since the Lstat opens at once, and
	// the Stat below refuses it. (A symlink swapped in is followed, but
	// os.Root follows it only within the module.)
	flag := os.O_RDONLY | syscall.O_NONBLOCK
	if fi.IsDir() {
		flag |= syscall.O_DIRECTORY
	}
	f, err := m.root.OpenFile(name, flag, 0)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err == nil {
		err = kindErr("open", name, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Stat implements fs.StatFS.
func (m *moduleFS) Stat(name string) (fs.FileInfo, error) {
	name, err := m.full("stat", name)
	if err != nil {
		return nil, err
	}
	return m.lstat("stat", name)
}

// Sub implements fs.SubFS, for @embed, which reads relative to the
// embedding file's directory: what it returns names paths in errors from
// the module root still.
func (m *moduleFS) Sub(dir string) (fs.FS, error) {
	dir, err := m.full("sub", dir)
	if err != nil {
		return nil, err
	}
	sub := *m
	sub.base = dir
	return &sub, nil
}

// ReadFile implements fs.ReadFileFS.
func (m *moduleFS) ReadFile(name string) ([]byte, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// ReadDir implements fs.ReadDirFS: the entries sorted by name.
func (m *moduleFS) ReadDir(name string) ([]fs.DirEntry, error) {
	f, err := m.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, ok := f.(fs.ReadDirFile)
	if !ok {
		return nil, &fs.PathError{Op: "readdir", Path: path.Join(m.base, name), Err: syscall.ENOTDIR}
	}
	entries, err := d.ReadDir(-1)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, err
}

// Glob implements fs.GlobFS, as fs.Glob does, except that a directory
// that cannot be read is an error, not a directory without matches: an
// @embed(glob=...) must not lose files it cannot read.
func (m *moduleFS) Glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	if !hasMeta(pattern) {
		if _, err := m.Stat(pattern); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil
			}
			return nil, err
		}
		return []string{pattern}, nil
	}
	dir, file := path.Split(pattern)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if !hasMeta(dir) {
		return m.glob(dir, file, nil)
	}
	if dir == pattern {
		return nil, path.ErrBadPattern
	}
	dirs, err := m.Glob(dir)
	if err != nil {
		return nil, err
	}
	var matches []string
	for _, d := range dirs {
		if matches, err = m.glob(d, file, matches); err != nil {
			return nil, err
		}
	}
	return matches, nil
}

// glob appends the names in dir that match pattern. A dir that does not
// exist or is a file has none.
func (m *moduleFS) glob(dir, pattern string, matches []string) ([]string, error) {
	fi, err := m.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()) {
		return matches, nil
	}
	if err != nil {
		return nil, err
	}
	entries, err := m.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		ok, err := path.Match(pattern, e.Name())
		if err != nil {
			return nil, err
		}
		if ok {
			matches = append(matches, path.Join(dir, e.Name()))
		}
	}
	return matches, nil
}

func hasMeta(p string) bool {
	return strings.ContainsAny(p, `*?[\`)
}

// readAbs reads the file of the module with the given absolute name.
func (m *moduleFS) readAbs(name string) ([]byte, error) {
	r, ok := m.rel(name)
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return m.ReadFile(r) // m is the module's root view: Scan's or Load's
}
