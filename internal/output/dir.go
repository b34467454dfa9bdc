package output

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// What platformc keeps in an output directory, all inside one directory
// that tells git to ignore it, so that no recipe commits it:
//
//	DIR/.platformc/.gitignore   "*": the directory and everything in it
//	DIR/.platformc/lock         flock(2)ed by the run that reads or writes DIR; never removed
//	DIR/.platformc/journal      while an apply moves files: what it moves (see journal.go)
//	DIR/.platformc/stage-*/     an apply's new files, and the old ones it replaces
//	DIR/.platformc/index        the stat and hash of what DIR held when last read or written (see index.go)
const (
	metaDir     = ".platformc"
	lockName    = "lock"
	journalName = "journal"
	stagePrefix = "stage-"
	ignoreFile  = ".gitignore"
	ignoreAll   = "# Written by platformc: its lock, journal and staging. Nothing here is committed.\n*\n"
)

// Left at the top of DIR by platformc before it kept a journal: a lock
// file it removed after each run, and stage directories a killed run left.
const (
	legacyLock        = ".platformc.lock"
	legacyStagePrefix = ".platformc-stage-"
)

// reserved reports whether a path element is platformc's bookkeeping.
func reserved(elem string) bool { return strings.HasPrefix(elem, metaDir) }

// Options say how Open opens a directory.
type Options struct {
	// ReadOnly opens the directory to plan only (build --check, diff):
	// Open creates neither the directory nor its .platformc/, and locks
	// only if .platformc/ exists. It still rolls back an interrupted
	// apply it finds, so that a plan never reads a half-applied tree.
	ReadOnly bool
	// Notify, if set, is told what the user should know of: that Open
	// waits for another run, or rolled back an interrupted one.
	Notify func(msg string)

	// fault, in tests, is called before each step of an apply or a
	// recovery, with the step's name: it can kill the process there, or
	// make the step fail by returning an error.
	fault func(step string) error
}

// Dir is an output directory opened by Open: locked, and with any
// interrupted apply rolled back. Plans are made and applied through it,
// so that no one changes the directory between the two.
type Dir struct {
	path   string
	opts   Options
	ctx    context.Context // bounds a read-only plan's late wait for the lock
	lock   *os.File        // nil while not locked
	tried  bool            // takeLock was called
	absent bool            // read-only, and the directory does not exist
	// legacy holds, for a read-only Dir, the leftovers of an older
	// platformc at the top of the directory.
	legacy []string
}

// BusyError says that another run held the lock until ctx ended.
type BusyError struct {
	Dir string
	PID string // the holder's process id, as it wrote it; may be empty
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s: another platformc run%s is still writing this directory", e.Dir, pidNote(e.PID))
}

func pidNote(pid string) string {
	if pid == "" {
		return ""
	}
	return " (pid " + pid + ")"
}

// Open locks dir for the caller and makes it whole first: an apply that
// was interrupted (killed, or the power lost) is rolled back, and stage
// directories nobody needs any more are removed. Unless opts.ReadOnly,
// dir and dir/.platformc/ are created if missing, and the leftovers of
// older platformc versions (.platformc.lock, .platformc-stage-*) removed.
//
// If another run holds the lock, Open says so once through opts.Notify
// and waits for it until ctx ends: then it returns a *BusyError, or ctx's
// error if ctx was cancelled rather than timed out.
func Open(ctx context.Context, dir string, opts Options) (*Dir, error) {
	d := &Dir{path: dir, opts: opts, ctx: ctx}
	if opts.ReadOnly {
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			d.absent = true
			return d, nil
		case err != nil:
			return nil, fmt.Errorf("read output directory: %w", err)
		case !fi.IsDir():
			return nil, fmt.Errorf("%s is not a directory", dir)
		}
		if _, err := os.Lstat(d.meta()); errors.Is(err, fs.ErrNotExist) {
			// No platformc run has written here yet: nothing to lock
			// or recover. Plan checks that none started meanwhile.
			return d, d.findLegacy()
		}
	} else {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
		if err := d.makeMeta(); err != nil {
			return nil, err
		}
	}
	if err := d.takeLock(ctx); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.recover(); err != nil {
		d.Close()
		return nil, err
	}
	var err error
	if opts.ReadOnly {
		err = d.findLegacy()
	} else {
		err = d.removeLegacy()
	}
	if err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close releases the lock. The lock file stays: another run may have it
// open, waiting, and would lock a file no one else sees if it were removed.
func (d *Dir) Close() error {
	if d.lock == nil {
		return nil
	}
	f := d.lock
	d.lock = nil
	_ = f.Truncate(0) // the holder's pid, which only means something while it holds
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return f.Close()
}

func (d *Dir) meta() string { return filepath.Join(d.path, metaDir) }

func (d *Dir) notify(format string, args ...any) {
	if d.opts.Notify != nil {
		d.opts.Notify(fmt.Sprintf(format, args...))
	}
}

func (d *Dir) fault(step string) error {
	if d.opts.fault != nil {
		return d.opts.fault(step)
	}
	return nil
}

// makeMeta creates dir/.platformc/ and its .gitignore if missing. A
// .platformc that is not a directory (a symlink, say) is refused: what
// platformc writes there would land wherever it points.
func (d *Dir) makeMeta() error {
	meta := d.meta()
	if err := os.Mkdir(meta, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", meta, err)
	}
	if err := checkMeta(meta); err != nil {
		return err
	}
	ignore := filepath.Join(meta, ignoreFile)
	if data, err := os.ReadFile(ignore); err == nil && string(data) == ignoreAll {
		return nil
	}
	// Written whole or not at all: two runs may write it at once.
	tmp := ignore + ".tmp-" + strconv.Itoa(os.Getpid())
	err := os.WriteFile(tmp, []byte(ignoreAll), 0o644)
	if err == nil {
		err = os.Rename(tmp, ignore)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("create %s: %w", ignore, err)
	}
	return nil
}

func checkMeta(meta string) error {
	fi, err := os.Lstat(meta)
	if err != nil {
		return fmt.Errorf("read %s: %w", meta, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory but platformc keeps its lock and journal there; remove it", meta)
	}
	return nil
}

// takeLock locks dir/.platformc/lock, waiting for another holder until
// ctx ends, and writes this process's id into it for those who wait.
func (d *Dir) takeLock(ctx context.Context) error {
	d.tried = true
	if err := checkMeta(d.meta()); err != nil {
		return err
	}
	name := filepath.Join(d.meta(), lockName)
	// Created by a reader too: .platformc/ without a lock file is a
	// writer that has not created it yet, and will lock this one.
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if d.opts.ReadOnly && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
		// A directory this user may only read: flock(2) locks a file
		// opened for reading as well.
		f, err = os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // and no one who could write it ever locked it
		}
	}
	if err != nil {
		return fmt.Errorf("lock output directory: %w", err)
	}
	told := false
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("lock %s: %w", name, err)
		}
		pid := holder(name)
		if !told {
			d.notify("waiting for another platformc run writing %s%s", d.path, pidNote(pid))
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return &BusyError{Dir: d.path, PID: pid}
			}
			return ctx.Err()
		case <-time.After(delay):
		}
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	d.lock = f
	return d.fault("locked")
}

// holder is the process id the lock's holder wrote, or "".
func holder(lock string) string {
	data, err := os.ReadFile(lock)
	if err != nil {
		return ""
	}
	pid := strings.TrimSpace(string(data))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return pid
}

// settle is called by Plan after reading the directory. A read-only Dir
// that found no .platformc/ (or no directory) read it unlocked; if a
// writer created it meanwhile, it may have read a tree being changed:
// settle then locks, rolls back what needs it, and says to read again.
func (d *Dir) settle() (again bool, err error) {
	if d.tried {
		return false, nil
	}
	if d.absent {
		if _, err := os.Stat(d.path); errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		d.absent, again = false, true
	}
	if _, err := os.Lstat(d.meta()); errors.Is(err, fs.ErrNotExist) {
		return again, nil
	}
	if err := d.takeLock(d.ctx); err != nil {
		return false, err
	}
	if err := d.recover(); err != nil {
		return false, err
	}
	return true, d.findLegacy()
}

// findLegacy lists, for a read-only Dir, what an older platformc left at
// the top of the directory, for the plan to report.
func (d *Dir) findLegacy() error {
	d.legacy = nil
	entries, err := os.ReadDir(d.path)
	if err != nil {
		return fmt.Errorf("read output directory: %w", err)
	}
	for _, e := range entries {
		switch {
		case e.Name() == legacyLock && e.Type().IsRegular():
			d.legacy = append(d.legacy, e.Name())
		case strings.HasPrefix(e.Name(), legacyStagePrefix) && e.IsDir():
			d.legacy = append(d.legacy, e.Name()+"/")
		}
	}
	return nil
}

// removeLegacy removes what an older platformc left at the top of the
// directory: its lock file unless a run of it holds the lock (then it
// is an error: that run does not know of this one's lock), and its stage
// directories. Those may hold the only copy of a file a killed run had
// moved aside; with no journal to say where it belonged, it cannot be
// put back, and a build writes what belongs there anyway.
func (d *Dir) removeLegacy() error {
	if err := d.findLegacy(); err != nil || len(d.legacy) == 0 {
		return err
	}
	for _, name := range d.legacy {
		if name != legacyLock {
			continue
		}
		p := filepath.Join(d.path, legacyLock)
		f, err := os.OpenFile(p, os.O_RDWR|syscall.O_NOFOLLOW, 0)
		if err != nil {
			return fmt.Errorf("lock output directory: %w", err)
		}
		defer f.Close()
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			return fmt.Errorf("%s: an older platformc run is writing this directory (it holds %s); wait for it to finish", d.path, legacyLock)
		}
	}
	for _, name := range d.legacy {
		if err := os.RemoveAll(filepath.Join(d.path, name)); err != nil {
			return fmt.Errorf("remove %s: %w", filepath.Join(d.path, name), err)
		}
	}
	d.notify("%s: removed what an interrupted older platformc left behind: %s", d.path, strings.Join(d.legacy, ", "))
	d.legacy = nil
	return nil
}
