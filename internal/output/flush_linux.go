package output

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncEachFile says whether each staged file must be flushed on its own:
// on Linux, flush flushes them all at once.
const syncEachFile = false

// flush makes durable everything written below dirs (the data of their
// files and their entries) with one syncfs(2) per file system they are on,
// rather than an fsync(2) per file and directory: writing a values repo is
// thousands of small files. syncfs flushes the whole file system, which
// orders the steps of an apply as the fsyncs did. dirs are below root
// (the output directory); unless a file system is mounted below it, they
// are all on root's. A directory that no longer exists has nothing to
// flush.
func flush(root string, dirs []string) error {
	if !mountedBelow(root) {
		return syncfs(root)
	}
	seen := map[uint64]bool{}
	for _, dir := range dirs {
		fi, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return syncDir(dir)
		}
		if seen[st.Dev] {
			continue
		}
		seen[st.Dev] = true
		if err := syncfs(dir); err != nil {
			return err
		}
	}
	return nil
}

// mountedBelow reports whether a file system is mounted strictly below
// dir, as /proc/self/mountinfo lists them; if that cannot be read, it
// assumes one is.
func mountedBelow(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return true
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return true
	}
	prefix := strings.TrimSuffix(abs, "/") + "/"
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		// The mount point is the fifth field, with spaces and the like
		// written as octal escapes: an escaped path below dir still
		// starts with dir's escaped form, and dir rarely has any.
		if strings.HasPrefix(fields[4], prefix) {
			return true
		}
	}
	return false
}

func syncfs(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		err := unix.Syncfs(int(f.Fd()))
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.ENOSYS):
			return f.Sync() // a kernel older than 2.6.39
		}
		return &os.PathError{Op: "syncfs", Path: dir, Err: err}
	}
}
