package output

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Replacement is a new content for a file of the user's that was read as
// Old (platformc init --upgrade-schema rewriting a platform's wiring).
type Replacement struct {
	Path     string
	Old, New []byte
}

// ChangedError says that a file to replace is no longer what was read:
// someone changed it meanwhile. Nothing is written.
type ChangedError struct {
	Dir, Path string
}

func (e *ChangedError) Error() string {
	return fmt.Sprintf("%s changed while platformc read it; nothing was written, run the command again",
		filepath.Join(e.Dir, filepath.FromSlash(e.Path)))
}

// PlanReplace plans, under d's lock, replacing each file of files, which
// need not carry a generated header (they are the user's), if it still
// holds what was read: if one does not, it returns a *ChangedError and
// plans nothing. The plan is applied by Apply, all or nothing.
func (d *Dir) PlanReplace(files []Replacement) (*Plan, error) {
	if d.opts.ReadOnly || d.lock == nil {
		return nil, fmt.Errorf("internal error: replacing files needs a locked, writable Dir")
	}
	plan := &Plan{Dir: d.path, owner: d} // no header: the files are the user's
	for _, f := range files {
		if err := CheckPath(f.Path); err != nil {
			return nil, err
		}
		name := filepath.Join(d.path, filepath.FromSlash(f.Path))
		fi, err := os.Lstat(name)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is not a regular file; platformc does not write through it", name)
		}
		cur, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(cur, f.Old) {
			return nil, &ChangedError{Dir: d.path, Path: f.Path}
		}
		if bytes.Equal(cur, f.New) {
			plan.Unchanged++
			continue
		}
		plan.Ops = append(plan.Ops, Op{Change: Update, Path: f.Path, Old: cur, New: f.New})
	}
	slices.SortFunc(plan.Ops, func(a, b Op) int { return strings.Compare(a.Path, b.Path) })
	return plan, nil
}
