package output

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// InterruptedError says that ctx ended while Apply moved files, and that
// what it had moved was put back: the directory is as it was.
type InterruptedError struct {
	Dir    string
	Undone int // files put back
	Err    error
}

func (e *InterruptedError) Error() string {
	if e.Undone == 0 {
		return fmt.Sprintf("%s: interrupted before anything was moved; nothing was changed", e.Dir)
	}
	return fmt.Sprintf("%s: interrupted while writing; put back the %d file%s already moved, nothing was changed", e.Dir, e.Undone, plural(e.Undone))
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// Apply carries out plan, which d made, all or nothing, through a
// journal:
//
//  1. every new file is written into a stage directory in .platformc/
//     and flushed to disk;
//  2. the journal records every move about to happen, and is flushed;
//  3. each replaced or removed file is moved into the stage, each new
//     one into place; directories left empty by removals are removed;
//  4. the directories are flushed, and the journal removed: the commit;
//  5. the stage, holding the old files, is removed.
//
// If a move fails, or ctx ends before the last move, what was moved is
// put back and Apply returns an error (an *InterruptedError if ctx
// ended); the directory is as it was. If the process dies before the
// commit, the next Open rolls back from the journal; after it, the new
// tree is complete and only the stage is left, which the next Open removes.
func (d *Dir) Apply(ctx context.Context, plan *Plan) error {
	if plan.owner != d || d.opts.ReadOnly || d.lock == nil {
		return fmt.Errorf("internal error: a plan is applied through the locked, writable Dir that made it")
	}
	if len(plan.Ops) == 0 {
		// Nothing changed: the directory is what the source makes, if
		// one is given; otherwise it records what it did.
		if x := plan.index; x != nil && (x.changed || plan.Source != nil && !bytes.Equal(x.source, plan.Source)) {
			if plan.Source != nil {
				x.source = plan.Source
			}
			_ = d.writeIndex(x) // a cache: the next run reads what it lacks
		}
		return nil
	}
	if err := d.fault("stage"); err != nil {
		return fmt.Errorf("stage output: %w; nothing was changed", err)
	}
	stage, err := os.MkdirTemp(d.meta(), stagePrefix)
	if err != nil {
		return fmt.Errorf("stage output: %w; nothing was changed", err)
	}
	j := &journal{Version: journalVersion, Header: plan.header, Stage: filepath.Base(stage), Ops: make([]journalOp, len(plan.Ops))}
	stagedStats := make([]stat, len(plan.Ops)) // of each new file as written, for the index
	err = parallel(len(plan.Ops), func(i int) error {
		op := plan.Ops[i]
		j.Ops[i] = journalOp{Path: op.Path, Old: op.Old != nil}
		if op.New == nil {
			return nil
		}
		j.Ops[i].New = sum(op.New)
		st, err := writeStaged(stagedPath(stage, i, "new"), op.New)
		if err != nil {
			return fmt.Errorf("stage %s: %w", op.Path, err)
		}
		stagedStats[i] = st
		return nil
	})
	if err == nil {
		// The new files' data and the stage's entries, before the journal
		// that names them.
		err = flush(stage, []string{stage})
	}
	if err == nil {
		j.Dirs, err = d.missingDirs(plan)
	}
	if err == nil && ctx.Err() != nil {
		err = &InterruptedError{Dir: d.path, Err: ctx.Err()}
	}
	if err == nil {
		err = d.fault("journal")
	}
	if err == nil {
		err = d.writeJournal(j)
	}
	if err != nil {
		_ = os.RemoveAll(stage)
		if errors.As(err, new(*InterruptedError)) {
			return err
		}
		return fmt.Errorf("%w; nothing was changed", err)
	}
	if err := d.move(ctx, plan, stage); err != nil {
		return d.undo(j, err)
	}

	touched := map[string]bool{stage: true, d.path: true}
	for _, op := range plan.Ops {
		touched[filepath.Dir(filepath.Join(d.path, filepath.FromSlash(op.Path)))] = true
	}
	for _, p := range j.Dirs {
		touched[filepath.Dir(filepath.Join(d.path, filepath.FromSlash(p)))] = true
	}
	if err := d.fault("prune"); err != nil {
		return d.undo(j, err)
	}
	for _, op := range plan.Ops {
		if op.Change == Remove {
			removeEmptyParents(d.path, filepath.Dir(filepath.Join(d.path, filepath.FromSlash(op.Path))), touched)
		}
	}
	err = flush(d.path, slices.Collect(maps.Keys(touched)))
	if err == nil {
		err = d.fault("commit")
	}
	if err != nil {
		return d.undo(j, fmt.Errorf("flush %s: %w", d.path, err))
	}
	if err := os.Remove(filepath.Join(d.meta(), journalName)); err != nil {
		return d.undo(j, fmt.Errorf("commit: %w", err))
	}
	if err := syncDir(d.meta()); err != nil {
		return fmt.Errorf("%s is written, but making that durable failed (%v): after a power loss, the next platformc run may roll it back", d.path, err)
	}
	_ = d.fault("clean")
	_ = os.RemoveAll(stage) // if it stays, the next Open removes it
	if plan.index != nil {
		d.updateIndex(plan, stagedStats, j.Dirs, touched)
	}
	return nil
}

// updateIndex writes the index of the directory as the apply left it:
// the plan's, with the files it wrote as they are now (if they are still
// what was staged: same inode, size and modification time; a file changed
// meanwhile is left out, to be read next time), without those it
// removed, and with the directories whose entries changed marked as not
// to be trusted, to be listed again next time. It is a cache: failing to
// write it costs only the next run's reading.
func (d *Dir) updateIndex(plan *Plan, staged []stat, created []string, touched map[string]bool) {
	idx := plan.index
	idx.source = plan.Source // nil for a partial plan: the rest is what it was, not what a source made
	written := make([]*indexEntry, len(plan.Ops))
	_ = parallel(len(plan.Ops), func(i int) error {
		op := plan.Ops[i]
		if op.New == nil {
			return nil
		}
		fi, err := os.Lstat(filepath.Join(d.path, filepath.FromSlash(op.Path)))
		if err != nil {
			return nil
		}
		st, ok := statOf(fi)
		if ok && st.ino == staged[i].ino && st.size == staged[i].size && st.mtime == staged[i].mtime {
			written[i] = &indexEntry{stat: st, sum: sha256.Sum256(op.New), generated: true}
		}
		return nil
	})
	for i, op := range plan.Ops {
		delete(idx.entries, op.Path)
		if written[i] != nil {
			idx.entries[op.Path] = written[i]
		}
	}
	untrusted := func(rel string) {
		idx.entries[rel] = &indexEntry{stat: stat{mode: syscall.S_IFDIR}}
	}
	for _, p := range created {
		untrusted(p)
	}
	for dir := range touched {
		if rel, err := filepath.Rel(d.path, dir); err == nil && !strings.HasPrefix(rel, "..") && !reserved(strings.SplitN(filepath.ToSlash(rel), "/", 2)[0]) {
			untrusted(filepath.ToSlash(rel))
		}
	}
	_ = d.writeIndex(idx)
}

// undo rolls back the apply j records after err, and says how it ended.
func (d *Dir) undo(j *journal, err error) error {
	n, rerr := d.rollback(j)
	if rerr != nil {
		return fmt.Errorf("%w; putting back what was moved failed too (%v): %s records what to undo, and the next platformc run on %s will", err, rerr, filepath.Join(d.meta(), journalName), d.path)
	}
	var ierr *InterruptedError
	if errors.As(err, &ierr) {
		ierr.Undone = n
		return ierr
	}
	return fmt.Errorf("%w; nothing was changed", err)
}

// move makes the moves of the plan, checking ctx before each file.
func (d *Dir) move(ctx context.Context, plan *Plan, stage string) error {
	for i, op := range plan.Ops {
		if err := ctx.Err(); err != nil {
			return &InterruptedError{Dir: d.path, Err: err}
		}
		target := filepath.Join(d.path, filepath.FromSlash(op.Path))
		if op.Old != nil {
			err := d.fault("move-old " + op.Path)
			if err == nil {
				err = os.Rename(target, stagedPath(stage, i, "old"))
			}
			if err != nil {
				return fmt.Errorf("replace %s: %w", op.Path, err)
			}
		}
		if op.New == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", op.Path, err)
		}
		err := d.fault("move-new " + op.Path)
		if err == nil {
			err = os.Rename(stagedPath(stage, i, "new"), target)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", op.Path, err)
		}
	}
	return nil
}

// missingDirs lists, parents first, the directories the plan's new files
// need that do not exist: those the apply creates.
func (d *Dir) missingDirs(plan *Plan) ([]string, error) {
	missing := map[string]bool{}
	for _, op := range plan.Ops {
		if op.New == nil {
			continue
		}
		for p := path.Dir(op.Path); p != "." && !missing[p]; p = path.Dir(p) {
			fi, err := os.Lstat(filepath.Join(d.path, filepath.FromSlash(p)))
			if err == nil {
				if !fi.IsDir() {
					return nil, fmt.Errorf("write %s: %s is not a directory", op.Path, p)
				}
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			missing[p] = true
		}
	}
	dirs := make([]string, 0, len(missing))
	for p := range missing {
		dirs = append(dirs, p)
	}
	slices.Sort(dirs) // a parent sorts before what it holds
	return dirs, nil
}

// writeStaged writes a new file, and flushes it to disk where flush
// cannot do it for all of them at once. It returns the file's stat as
// written.
func writeStaged(name string, data []byte) (stat, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return stat{}, err
	}
	_, err = f.Write(data)
	if err == nil && syncEachFile {
		err = f.Sync()
	}
	var st stat
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			st, _ = statOf(fi)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return st, err
}

// removeEmptyParents removes dir and its parents up to root while they are
// empty: a removed cluster leaves no empty folders behind. It notes the
// directories whose entries changed in touched.
func removeEmptyParents(root, dir string, touched map[string]bool) {
	for d := dir; d != root && len(d) > len(root); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return
		}
		delete(touched, d)
		touched[filepath.Dir(d)] = true
	}
}

// parallel calls f(0) … f(n-1) from a few goroutines: flushing many
// small files one after the other waits on the disk.
func parallel(n int, f func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range min(n, 16) {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
