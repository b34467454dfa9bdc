package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// Apply carries out the plan all or nothing: every new file is staged in a
// directory inside the target first; then the changes are moved into place,
// each replaced or removed file backed up in the stage so that a failure
// puts everything back. A second run on the same directory waits for no
// one: it fails at once, naming the lock.
func Apply(plan *Plan) error {
	return apply(plan, os.Rename)
}

// apply is Apply with the rename it moves files with, so that a test can
// make it fail midway.
func apply(plan *Plan, rename func(from, to string) error) (err error) {
	if len(plan.Ops) == 0 {
		return nil
	}
	if err := os.MkdirAll(plan.Dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	unlock, err := lock(plan.Dir)
	if err != nil {
		return err
	}
	defer unlock()

	stage, err := os.MkdirTemp(plan.Dir, ".platformc-stage-")
	if err != nil {
		return fmt.Errorf("stage output: %w", err)
	}
	defer os.RemoveAll(stage)
	staged := func(i int, kind string) string { return filepath.Join(stage, kind+strconv.Itoa(i)) }
	for i, op := range plan.Ops {
		if op.New == nil {
			continue
		}
		if err := os.WriteFile(staged(i, "new"), op.New, 0o644); err != nil {
			return fmt.Errorf("stage %s: %w", op.Path, err)
		}
	}

	var created []string // directories made, to remove on failure
	var done []int       // ops moved into place, to undo on failure
	defer func() {
		if err == nil {
			return
		}
		for _, i := range slices.Backward(done) {
			op, target := plan.Ops[i], filepath.Join(plan.Dir, filepath.FromSlash(plan.Ops[i].Path))
			if op.New != nil {
				_ = os.Remove(target)
			}
			if op.Old != nil {
				_ = os.Rename(staged(i, "old"), target)
			}
		}
		for _, d := range slices.Backward(created) {
			_ = os.Remove(d)
		}
	}()
	for i, op := range plan.Ops {
		target := filepath.Join(plan.Dir, filepath.FromSlash(op.Path))
		if op.Old != nil {
			if err := rename(target, staged(i, "old")); err != nil {
				return fmt.Errorf("replace %s: %w", op.Path, err)
			}
		}
		done = append(done, i)
		if op.New == nil {
			continue
		}
		made, err := mkdirAll(filepath.Dir(target))
		created = append(created, made...)
		if err != nil {
			return fmt.Errorf("write %s: %w", op.Path, err)
		}
		if err := rename(staged(i, "new"), target); err != nil {
			return fmt.Errorf("write %s: %w", op.Path, err)
		}
	}
	for _, op := range plan.Ops {
		if op.Change == Remove {
			removeEmptyParents(plan.Dir, filepath.Dir(filepath.Join(plan.Dir, filepath.FromSlash(op.Path))))
		}
	}
	return nil
}

// mkdirAll is os.MkdirAll that reports the directories it made, top first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Lstat(d)
		if err == nil {
			if !fi.IsDir() {
				return nil, fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
	}
	var made []string
	for _, d := range slices.Backward(missing) {
		if err := os.Mkdir(d, 0o755); err != nil {
			return made, err
		}
		made = append(made, d)
	}
	return made, nil
}

// removeEmptyParents removes dir and its parents up to root while they are
// empty: a removed cluster leaves no empty folders behind.
func removeEmptyParents(root, dir string) {
	for d := dir; d != root && len(d) > len(root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return
		}
	}
}

// lock takes an exclusive lock on dir, so that two runs never interleave.
func lock(dir string) (func(), error) {
	name := filepath.Join(dir, lockName)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock output directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: another platformc run is writing this directory (locked %s); wait for it to finish", dir, lockName)
	}
	return func() {
		_ = os.Remove(name)
		_ = f.Close()
	}, nil
}
