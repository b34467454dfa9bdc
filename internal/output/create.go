package output

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/platformc/platformc/internal/render"
)

// ExistsError lists the paths Create would have had to replace: nothing
// is written.
type ExistsError struct {
	Dir   string
	Paths []string
}

func (e *ExistsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of the paths to write exist already; nothing was written:", e.Dir, len(e.Paths))
	for _, p := range e.Paths {
		fmt.Fprintf(&b, "\n    %s", filepath.Join(e.Dir, filepath.FromSlash(p)))
	}
	return b.String()
}

// Create writes files into dir, which need not exist, all or nothing and
// replacing nothing: if a file exists at one of their paths, or a
// non-directory where one of their directories goes, nothing is written.
// It opens dir as Open does, with opts, and applies through the journal.
func Create(ctx context.Context, dir string, files []render.File, opts Options) error {
	d, err := Open(ctx, dir, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	plan := &Plan{Dir: dir, owner: d} // no header: init's files are the user's
	var exist []string
	for _, f := range files {
		if err := CheckPath(f.Path); err != nil {
			return err
		}
		taken, err := occupied(dir, f.Path)
		if err != nil {
			return err
		}
		if taken != "" {
			exist = append(exist, taken)
			continue
		}
		plan.Ops = append(plan.Ops, Op{Change: Add, Path: f.Path, New: f.Data})
	}
	if len(exist) > 0 {
		slices.Sort(exist)
		return &ExistsError{Dir: dir, Paths: slices.Compact(exist)}
	}
	slices.SortFunc(plan.Ops, func(a, b Op) int { return strings.Compare(a.Path, b.Path) })
	return d.Apply(ctx, plan)
}

// occupied returns p if something exists at p in dir, or the parent of p
// that exists as something other than a directory, or "".
func occupied(dir, p string) (string, error) {
	if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
		return p, nil
	} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return "", err
	}
	for d := path.Dir(p); d != "."; d = path.Dir(d) {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(d)))
		if err == nil && !fi.IsDir() {
			return d, nil
		}
	}
	return "", nil
}
