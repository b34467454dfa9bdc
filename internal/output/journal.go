package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/platformc/platformc/internal/render"
)

// journal records an apply while it moves files, in
// DIR/.platformc/journal. Its presence means "not committed": the next run
// that opens DIR rolls the apply back from it. Op i's new content is
// staged as STAGE/<i>.new and the file it replaces is moved to
// STAGE/<i>.old, so every state a kill can leave an op in is told apart
// by what exists:
//
//	before its moves   <i>.new staged, <i>.old absent, the old file in place
//	old moved aside    <i>.new staged, <i>.old present, nothing in place
//	done               <i>.new absent, the new file in place (sha256 New)
//
// Every move is one rename(2), so a rollback that is itself killed leaves
// a state the next rollback starts from.
type journal struct {
	Version int    `json:"version"`
	Header  string `json:"header"` // every new file starts with it (init's files: "")
	Stage   string `json:"stage"`  // the stage directory's name in .platformc/
	// Dirs are the directories the apply creates, parents first: a
	// rollback removes them if they are empty.
	Dirs []string    `json:"dirs"`
	Ops  []journalOp `json:"ops"`
}

type journalOp struct {
	Path string `json:"path"`
	New  string `json:"new,omitempty"` // sha256 of the new content; "" for a removal
	Old  bool   `json:"old,omitempty"` // a file is there before, to be moved aside
}

const journalVersion = 1

func stagedPath(stage string, i int, kind string) string {
	return filepath.Join(stage, strconv.Itoa(i)+"."+kind)
}

func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// writeJournal writes j whole or not at all, and durably: a journal that
// could vanish in a power loss after files moved would leave them mixed.
func (d *Dir) writeJournal(j *journal) error {
	data, err := json.Marshal(j)
	if err != nil {
		return err
	}
	name := filepath.Join(d.meta(), journalName)
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	_, err = f.Write(append(data, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.fault("journal-rename")
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err == nil {
		err = syncDir(d.meta())
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}

// readJournal reads and checks the journal; it is nil if there is none.
func (d *Dir) readJournal() (*journal, error) {
	name := filepath.Join(d.meta(), journalName)
	data, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	j := new(journal)
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("%s is not a journal platformc can read (%v); an interrupted apply is recorded there: look at it, then remove it", name, err)
	}
	if err := j.check(); err != nil {
		return nil, fmt.Errorf("%s is not a journal platformc can read (%v); an interrupted apply is recorded there: look at it, then remove it", name, err)
	}
	return j, nil
}

// check refuses a journal that would make a rollback reach outside DIR
// or move a file platformc did not generate.
func (j *journal) check() error {
	if j.Version != journalVersion {
		return fmt.Errorf("version %d, this platformc writes version %d", j.Version, journalVersion)
	}
	if j.Header != "" && !strings.Contains(j.Header, render.GeneratedMark) {
		return fmt.Errorf("header %q is not platformc's", j.Header)
	}
	if !strings.HasPrefix(j.Stage, stagePrefix) || strings.ContainsAny(j.Stage, `/\`) || j.Stage == "" {
		return fmt.Errorf("stage %q is not a stage directory", j.Stage)
	}
	for _, p := range j.Dirs {
		if err := CheckPath(p); err != nil {
			return err
		}
	}
	for _, op := range j.Ops {
		if err := CheckPath(op.Path); err != nil {
			return err
		}
		if op.New != "" && len(op.New) != 2*sha256.Size {
			return fmt.Errorf("%s: bad checksum %q", op.Path, op.New)
		}
	}
	return nil
}

// InconsistentError says that a journal's rollback found a file it did
// not expect: someone changed DIR after the interrupted run. The journal
// and the stage are kept, for a person to decide.
type InconsistentError struct {
	Dir, Journal, Path, What string
}

func (e *InconsistentError) Error() string {
	return fmt.Sprintf("%s: cannot roll back the interrupted platformc apply recorded in %s: %s %s; nothing more was moved, and the journal and its stage directory are kept for you to finish by hand",
		e.Dir, e.Journal, e.Path, e.What)
}

// recover rolls back the apply the journal records, if there is one,
// then removes stage directories no journal needs.
func (d *Dir) recover() error {
	j, err := d.readJournal()
	if err != nil {
		return err
	}
	if j != nil {
		n, err := d.rollback(j)
		if err != nil {
			if d.opts.ReadOnly && (errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)) {
				return fmt.Errorf("%s: an interrupted platformc apply is recorded in %s, and it cannot be rolled back in a directory this run may not write (%v); run platformc build -o %s where it can",
					d.path, filepath.Join(d.meta(), journalName), err, d.path)
			}
			return err
		}
		d.notify("%s: rolled back an interrupted platformc apply (%d file%s restored)", d.path, n, plural(n))
	}
	d.removeStale()
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// removeStale removes what no journal refers to: the stage directory of
// a run killed before it wrote its journal or after it removed it, and
// half-written journals and indexes. It is best effort: they are invisible to git
// and to plans, and a read-only directory keeps them.
func (d *Dir) removeStale() {
	entries, err := os.ReadDir(d.meta())
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, stagePrefix) || n == journalName+".tmp" || strings.HasPrefix(n, ignoreFile+".tmp-") || strings.HasPrefix(n, indexName+indexTmp) {
			_ = os.RemoveAll(filepath.Join(d.meta(), n))
		}
	}
}

// rollback undoes, from what exists, the moves j records, last first,
// removes the directories the apply created if they are empty, and then
// the journal and the stage. It returns how many files it put back.
func (d *Dir) rollback(j *journal) (int, error) {
	stage := filepath.Join(d.meta(), j.Stage)
	jname := filepath.Join(d.meta(), journalName)
	inconsistent := func(p, what string) error {
		return &InconsistentError{Dir: d.path, Journal: jname, Path: filepath.Join(d.path, filepath.FromSlash(p)), What: what}
	}
	touched := map[string]bool{stage: true}
	undone := 0
	for i, op := range slices.Backward(j.Ops) {
		target := filepath.Join(d.path, filepath.FromSlash(op.Path))
		newFile, oldFile := stagedPath(stage, i, "new"), stagedPath(stage, i, "old")
		moved := false
		if op.New != "" && !exists(newFile) {
			// Moved into place, unless it never was staged.
			ours, err := holds(target, op.New, j.Header)
			switch {
			case err != nil && !errors.Is(err, fs.ErrNotExist):
				return undone, err
			case ours:
				if err := d.fault("undo-new " + op.Path); err != nil {
					return undone, err
				}
				if err := os.Rename(target, newFile); err != nil {
					return undone, err
				}
				moved = true
			case err == nil:
				return undone, inconsistent(op.Path, "is not the file the interrupted apply wrote there")
			}
		}
		if op.Old && exists(oldFile) {
			if _, err := os.Lstat(target); err == nil {
				return undone, inconsistent(op.Path, "exists, but the file the interrupted apply moved aside belongs there")
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return undone, err
			}
			if err := d.fault("undo-old " + op.Path); err != nil {
				return undone, err
			}
			if err := os.Rename(oldFile, target); err != nil {
				return undone, err
			}
			moved = true
		}
		if moved {
			undone++
			touched[filepath.Dir(target)] = true
		}
	}
	if err := d.fault("undo-dirs"); err != nil {
		return undone, err
	}
	for _, p := range slices.Backward(j.Dirs) {
		dir := filepath.Join(d.path, filepath.FromSlash(p))
		if fi, err := os.Lstat(dir); err == nil && fi.IsDir() && os.Remove(dir) == nil {
			touched[filepath.Dir(dir)] = true
		}
	}
	if err := flush(d.path, slices.Collect(maps.Keys(touched))); err != nil {
		return undone, err
	}
	if err := d.fault("undo-commit"); err != nil {
		return undone, err
	}
	if err := removeSynced(jname); err != nil {
		return undone, err
	}
	_ = d.fault("undo-clean")
	_ = os.RemoveAll(stage)
	return undone, nil
}

// holds reports whether p is a regular file (not a symlink) starting with
// header whose content has the checksum sum.
func holds(p, want, header string) (bool, error) {
	fi, err := os.Lstat(p)
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, nil
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return false, err
	}
	return bytes.HasPrefix(data, []byte(header)) && sum(data) == want, nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// removeSynced removes a file and makes its removal durable.
func removeSynced(p string) error {
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return syncDir(filepath.Dir(p))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
