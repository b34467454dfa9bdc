package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// DirError says why a directory cannot be an output directory.
type DirError struct {
	Dir    string // as given
	Reason string // "is the root directory", "resolves to /x/.git, inside a .git directory: …"
}

func (e *DirError) Error() string { return fmt.Sprintf("%q %s", e.Dir, e.Reason) }

// CheckDir refuses an output directory where generated files would do
// harm: the root directory; moduleRoot, the platform module (if not ""),
// or a parent of it; anything inside a directory named .git, or inside a
// git repository's own directory (one holding HEAD, objects and refs,
// such as a bare repository). It resolves symlinks as writing into dir
// would, as far as dir exists, so that a symlink to .git is refused too.
// It reads the file system but writes nothing.
func CheckDir(dir, moduleRoot string) error {
	if dir == "" {
		return &DirError{Dir: dir, Reason: "is empty"}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	real, err := resolve(dir)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	where := "is "
	if real != abs {
		where = "resolves to " + real + ", "
	}
	refuse := func(reason string) error { return &DirError{Dir: dir, Reason: reason} }
	if real == "/" {
		return refuse(where + "the root directory")
	}
	if hasGit(abs) || hasGit(real) {
		return refuse(where + "inside a .git directory: platformc never writes there")
	}
	for d := real; ; d = filepath.Dir(d) {
		if gitDir(d) {
			return refuse(fmt.Sprintf("%sinside the git directory %s (it holds HEAD, objects and refs): platformc never writes there", where, d))
		}
		if d == "/" {
			break
		}
	}
	if moduleRoot != "" {
		module, err := filepath.EvalSymlinks(moduleRoot)
		if err != nil {
			return err
		}
		switch {
		case module == real:
			return refuse(where + "the platform module itself")
		case strings.HasPrefix(module, strings.TrimSuffix(real, "/")+"/"):
			return refuse(where + "a parent of the platform module")
		}
	}
	return nil
}

func hasGit(p string) bool {
	return slices.Contains(strings.Split(filepath.ToSlash(p), "/"), ".git")
}

// gitDir reports whether dir looks like a git directory.
func gitDir(dir string) bool {
	head, err := os.Lstat(filepath.Join(dir, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		return false
	}
	for _, sub := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, sub)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

// resolve is the absolute path, free of symlinks, that writing into p
// would write into: the longest prefix of p that exists, with its
// symlinks resolved (a dangling one followed by hand), then the rest of
// p, which does not exist yet and so holds no symlink.
func resolve(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		// Not filepath.Join: cleaning "link/.." before resolving link
		// would not be what the system does.
		p = wd + string(filepath.Separator) + p
	}
	rest := ""
	for hops := 0; ; {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return "", err
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			// A symlink to something that does not exist yet: writing
			// creates its target.
			if hops++; hops > 40 {
				return "", fmt.Errorf("too many levels of symbolic links")
			}
			target, err := os.Readlink(p)
			if err != nil {
				return "", err
			}
			if !filepath.IsAbs(target) {
				target = p[:strings.LastIndexByte(p, filepath.Separator)+1] + target
			}
			p = target
			continue
		}
		i := strings.LastIndexByte(p, filepath.Separator)
		rest = p[i+1:] + string(filepath.Separator) + rest
		p = p[:i]
		if p == "" {
			return filepath.Join("/", rest), nil
		}
	}
}
