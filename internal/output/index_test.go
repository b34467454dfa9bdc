package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/platformc/platformc/internal/render"
)

// waitTick returns once the file system's clock, which stamps the files'
// times in coarse ticks, has moved past every file written so far in dir:
// what the index records from now on predates it.
func waitTick(t *testing.T, dir string) {
	t.Helper()
	probe := filepath.Join(t.TempDir(), "tick")
	ctime := func() int64 {
		if err := os.WriteFile(probe, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Lstat(probe)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ctim.Nano()
	}
	for first := ctime(); ctime() == first; {
		time.Sleep(100 * time.Microsecond)
	}
}

// settled applies files to dir, then plans and applies them again after
// a clock tick, so that the index the second run writes trusts every
// file: what a warm build finds.
func settled(t *testing.T, dir string, files []render.File) {
	t.Helper()
	for range 2 {
		d, plan, err := openPlan(t, dir, render.Header, files, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Apply(context.Background(), plan); err != nil {
			t.Fatal(err)
		}
		d.Close()
		waitTick(t, dir)
	}
	if x := readIndex(filepath.Join(dir, metaDir), render.Header); x == nil {
		t.Fatal("no index was written")
	}
}

func indexFiles() []render.File {
	return []render.File{
		gen("cluster/a/core/x/values.yaml", "x: 1\n"),
		gen("cluster/a/core/y/values.yaml", "y: 1\n"),
		gen("cluster/b/core/x/values.yaml", "x: 2\n"),
		gen("argocd/dev/applicationsets/x.yaml", "kind: ApplicationSet\n"),
	}
}

// TestIndexIsTrusted: a file whose stat is what the index says is not
// read; its content is what the index says. The index is tampered with
// here to prove it: it claims another content for an unchanged file.
func TestIndexIsTrusted(t *testing.T) {
	dir := t.TempDir()
	files := indexFiles()
	settled(t, dir, files)
	meta := filepath.Join(dir, metaDir)
	x := readIndex(meta, render.Header)
	e := x.entries["cluster/a/core/x/values.yaml"]
	if e == nil {
		t.Fatal("cluster/a/core/x/values.yaml is not in the index")
	}
	e.sum = [32]byte{}
	putIndex(t, dir, x)
	plan, err := planOnly(t, dir, render.Header, files, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Listing(); got != "update cluster/a/core/x/values.yaml\n" {
		t.Errorf("with the tampered index, plan:\n%swant the one file it lies about updated", got)
	}
}

// TestIndexFindsHandEdits: a file edited by hand to the same size, its
// modification time put back, is found changed by a build, build --check
// and diff (a read-only plan), as is one removed or added.
func TestIndexFindsHandEdits(t *testing.T) {
	dir := t.TempDir()
	files := indexFiles()
	settled(t, dir, files)
	edited := filepath.Join(dir, "cluster", "a", "core", "y", "values.yaml")
	fi, err := os.Lstat(edited)
	if err != nil {
		t.Fatal(err)
	}
	before := fi.Sys().(*syscall.Stat_t)
	writeTree(t, dir, map[string]string{
		"cluster/a/core/y/values.yaml":    render.Header + "y: 2\n", // same size
		"cluster/a/core/z/values.yaml":    render.Header + "stale, by hand\n",
		"argocd/dev/applicationsets/n.md": "mine\n",
	})
	if err := os.Chtimes(edited, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Lstat(edited)
	if st := after.Sys().(*syscall.Stat_t); st.Size != before.Size || st.Mtim != before.Mtim {
		t.Fatal("the edit changed the size or the modification time")
	}
	if err := os.Remove(filepath.Join(dir, "cluster", "b", "core", "x", "values.yaml")); err != nil {
		t.Fatal(err)
	}
	want := "add cluster/b/core/x/values.yaml\nupdate cluster/a/core/y/values.yaml\nremove cluster/a/core/z/values.yaml\n"
	for _, readOnly := range []bool{true, false} {
		var plan *Plan
		var err error
		if readOnly {
			plan, err = planOnly(t, dir, render.Header, files, true)
		} else {
			_, plan, err = openPlan(t, dir, render.Header, files, true)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := sortedListing(plan); got != want {
			t.Errorf("read-only %t: plan\n%swant\n%s", readOnly, got, want)
		}
		if d := plan.Diff(nil); !bytes.Contains(d, []byte("-y: 2\n+y: 1\n")) {
			t.Errorf("read-only %t: the diff does not show the edit:\n%s", readOnly, d)
		}
	}
}

// sortedListing is the plan's listing with its lines sorted by change,
// then path.
func sortedListing(p *Plan) string {
	ops := slices.Clone(p.Ops)
	slices.SortStableFunc(ops, func(a, b Op) int { return int(a.Change) - int(b.Change) })
	var b bytes.Buffer
	for _, op := range ops {
		fmt.Fprintf(&b, "%s %s\n", op.Change, op.Path)
	}
	return b.String()
}

// TestIndexRacilyClean: an entry whose times are not before the index's
// own is not trusted, whatever its stat: the file may have changed in the
// same tick of the clock, after it was recorded.
func TestIndexRacilyClean(t *testing.T) {
	st := stat{ino: 7, mode: syscall.S_IFREG, size: 3, mtime: 100, ctime: 100}
	for _, tc := range []struct {
		time int64
		want bool
	}{{101, true}, {100, false}, {99, false}} {
		x := &index{time: tc.time, entries: map[string]*indexEntry{"f": {stat: st}}}
		if _, ok, racy := x.trusted("f", st); ok != tc.want || racy == tc.want {
			t.Errorf("index time %d, file times 100: trusted %t, want %t", tc.time, ok, tc.want)
		}
	}
	x := &index{time: 200, entries: map[string]*indexEntry{"f": {stat: st}}}
	changed := st
	changed.ctime++
	if _, ok, _ := x.trusted("f", changed); ok {
		t.Error("trusted with another ctime")
	}
}

// TestIndexAgreesWithReading changes a settled directory at random, the
// ways a person or a tool might, and checks that a plan made with the
// index is the plan made by reading every file.
func TestIndexAgreesWithReading(t *testing.T) {
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var files []render.File
	for i := range 12 {
		files = append(files, gen(fmt.Sprintf("cluster/c%d/core/app%d/values.yaml", i%4, i), fmt.Sprintf("v: %d\n", i)))
	}
	for round := range rounds {
		dir := t.TempDir()
		settled(t, dir, files)
		for range 1 + rng.IntN(3) {
			f := files[rng.IntN(len(files))]
			p := filepath.Join(dir, filepath.FromSlash(f.Path))
			switch rng.IntN(6) {
			case 0: // same size, time put back
				fi, _ := os.Lstat(p)
				data := bytes.Replace(f.Data, []byte("v: "), []byte("w: "), 1)
				os.WriteFile(p, data, 0o644)
				if fi != nil {
					os.Chtimes(p, fi.ModTime(), fi.ModTime())
				}
			case 1:
				os.Remove(p)
			case 2: // a stale generated file beside it
				os.WriteFile(filepath.Join(filepath.Dir(p), "stale.yaml"), []byte(render.Header+"old\n"), 0o644)
			case 3: // the header removed: the user's now
				os.WriteFile(p, bytes.TrimPrefix(f.Data, []byte(render.Header)), 0o644)
			case 4: // a directory where the file was
				os.Remove(p)
				os.MkdirAll(p, 0o755)
			case 5: // rewritten with the same bytes
				os.WriteFile(p, f.Data, 0o644)
			}
		}
		read, rerr := makePlan(dir, render.Header, files, true, nil)
		plan, err := planOnly(t, dir, render.Header, files, true)
		if (rerr == nil) != (err == nil) {
			t.Fatalf("round %d: reading: %v; with the index: %v", round, rerr, err)
		}
		if err != nil {
			if rerr.Error() != err.Error() {
				t.Errorf("round %d: reading: %v\nwith the index: %v", round, rerr, err)
			}
			continue
		}
		if !reflect.DeepEqual(read.Ops, plan.Ops) || read.Unchanged != plan.Unchanged {
			t.Errorf("round %d: reading:\n%swith the index:\n%s", round, read.Listing(), plan.Listing())
		}
	}
}

// putIndex writes x as dir's index, as the run holding its lock would.
func putIndex(t *testing.T, dir string, x *index) {
	t.Helper()
	if err := (&Dir{path: dir}).writeIndex(x); err != nil {
		t.Fatal(err)
	}
}

// tamperedIndex makes dir's index lie about p: it says p holds other
// content. A plan that trusts the entry plans to update p; one that
// ignores the index, or reads p again, does not.
func tamperedIndex(t *testing.T, dir, p string) {
	t.Helper()
	x := readIndex(filepath.Join(dir, metaDir), render.Header)
	if x == nil || x.entries[p] == nil {
		t.Fatalf("%s is not in the index", p)
	}
	x.entries[p].sum = [32]byte{1}
	putIndex(t, dir, x)
}

// checkAgrees fails unless plans of files in dir made with the index, to
// read only and to write, are the plan made by reading every file.
func checkAgrees(t *testing.T, dir string, files []render.File, what string) {
	t.Helper()
	read, rerr := makePlan(dir, render.Header, files, true, nil)
	only, oerr := planOnly(t, dir, render.Header, files, true)
	d, writable, werr := openPlan(t, dir, render.Header, files, true)
	d.Close()
	for _, c := range []struct {
		name string
		plan *Plan
		err  error
	}{{"read-only", only, oerr}, {"writable", writable, werr}} {
		switch {
		case (rerr == nil) != (c.err == nil):
			t.Errorf("%s: reading: %v; %s with the index: %v", what, rerr, c.name, c.err)
		case rerr != nil:
			if rerr.Error() != c.err.Error() {
				t.Errorf("%s: reading: %v\n%s with the index: %v", what, rerr, c.name, c.err)
			}
		case !reflect.DeepEqual(read.Ops, c.plan.Ops) || read.Unchanged != c.plan.Unchanged:
			t.Errorf("%s: reading:\n%s%s with the index:\n%s", what, read.Listing(), c.name, c.plan.Listing())
		}
	}
}

// applyNothing plans and applies files to dir, which is up to date: all
// such a run writes is the index, if it found it worth writing.
func applyNothing(t *testing.T, dir string, files []render.File) {
	t.Helper()
	d, plan, err := openPlan(t, dir, render.Header, files, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if len(plan.Ops) != 0 {
		t.Fatalf("the directory is not up to date:\n%s", plan.Listing())
	}
	if err := d.Apply(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
}

// TestIndexRacyEntriesAreRead: a file changed in the clock tick the index
// was written in (simulated by giving the index the file's change time, as
// a file system with one-second times would) is read, whatever its entry
// says; and the next run that writes rewrites the index, so that the run
// after it trusts the entry.
func TestIndexRacyEntriesAreRead(t *testing.T) {
	dir := t.TempDir()
	files := indexFiles()
	settled(t, dir, files)
	const p = "cluster/a/core/x/values.yaml"
	racy := func() {
		fi, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		ctime := fi.Sys().(*syscall.Stat_t).Ctim
		at := time.Unix(ctime.Unix())
		if err := os.Chtimes(filepath.Join(dir, metaDir, indexName), at, at); err != nil {
			t.Fatal(err)
		}
	}

	tamperedIndex(t, dir, p)
	racy()
	checkAgrees(t, dir, files, "a racy entry that lies")

	settled(t, dir, files)
	racy()
	waitTick(t, dir)
	applyNothing(t, dir, files)
	x := readIndex(filepath.Join(dir, metaDir), render.Header)
	fi, _ := os.Lstat(filepath.Join(dir, filepath.FromSlash(p)))
	st, _ := statOf(fi)
	if _, ok, _ := x.trusted(p, st); !ok {
		t.Errorf("after a run that found %s racy, the index still does not trust it", p)
	}
}

// TestIndexCorrupt: an index that is truncated, has a byte changed, is
// empty, or is not a regular file is ignored (the run reads every file)
// and never trusted; the next run that writes replaces it. The index is
// made to lie first, so that trusting it would show.
func TestIndexCorrupt(t *testing.T) {
	dir := t.TempDir()
	files := indexFiles()
	settled(t, dir, files)
	const p = "cluster/b/core/x/values.yaml"
	tamperedIndex(t, dir, p)
	name := filepath.Join(dir, metaDir, indexName)
	good, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if plan, _ := planOnly(t, dir, render.Header, files, true); plan == nil || len(plan.Ops) != 1 {
		t.Fatal("the lying index is not trusted: this test proves nothing")
	}
	outside := filepath.Join(t.TempDir(), "index")
	if err := os.WriteFile(outside, good, 0o644); err != nil {
		t.Fatal(err)
	}
	type corruption struct {
		name string
		make func() error
	}
	var cases []corruption
	for n := 0; n < len(good); n += 1 + n/8 {
		cases = append(cases, corruption{fmt.Sprintf("truncated to %d bytes", n), func() error { return os.WriteFile(name, good[:n], 0o644) }})
	}
	for i := 0; i < len(good); i += 1 + i/8 {
		cases = append(cases, corruption{fmt.Sprintf("byte %d changed", i), func() error {
			b := bytes.Clone(good)
			b[i] ^= 0x20
			return os.WriteFile(name, b, 0o644)
		}})
	}
	cases = append(cases,
		corruption{"with bytes after it", func() error { return os.WriteFile(name, append(bytes.Clone(good), 0), 0o644) }},
		corruption{"a directory", func() error { os.Remove(name); return os.Mkdir(name, 0o755) }},
		corruption{"a symlink to an index", func() error { os.Remove(name); return os.Symlink(outside, name) }},
		corruption{"a fifo", func() error { os.Remove(name); return syscall.Mkfifo(name, 0o644) }},
	)
	for _, c := range cases {
		os.RemoveAll(name)
		if err := c.make(); err != nil {
			t.Fatal(err)
		}
		if x := readIndex(filepath.Join(dir, metaDir), render.Header); x != nil {
			t.Errorf("index %s: read as an index", c.name)
		}
		checkAgrees(t, dir, files, "index "+c.name)
	}
	os.RemoveAll(name)
	if err := os.WriteFile(name, good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	applyNothing(t, dir, files)
	if readIndex(filepath.Join(dir, metaDir), render.Header) == nil {
		t.Error("a run that wrote found a torn index and did not replace it")
	}
}

// TestIndexFromElsewhere: an index written for another header, or copied
// from another directory whose files have the same paths, sizes and
// modification times, is not trusted.
func TestIndexFromElsewhere(t *testing.T) {
	files := indexFiles()
	a := t.TempDir()
	settled(t, a, files)

	if readIndex(filepath.Join(a, metaDir), "# another header\n") != nil {
		t.Error("an index of another header was read")
	}

	// b is a copy of a, but for one file of the same size, with every
	// file's modification time copied, and a's index.
	b := t.TempDir()
	settled(t, b, files)
	const p = "cluster/a/core/y/values.yaml"
	writeTree(t, b, map[string]string{p: render.Header + "y: 9\n"})
	for _, f := range files {
		fi, err := os.Lstat(filepath.Join(a, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(b, filepath.FromSlash(f.Path)), fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
	index, err := os.ReadFile(filepath.Join(a, metaDir, indexName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b, metaDir, indexName), index, 0o644); err != nil {
		t.Fatal(err)
	}
	waitTick(t, b)
	plan, err := planOnly(t, b, render.Header, files, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := plan.Listing(); got != "update "+p+"\n" {
		t.Errorf("with a's index, the plan of b:\n%swant %s updated", got, p)
	}
	checkAgrees(t, b, files, "a's index in b")
}

// TestIndexSymlinks: a generated file or a directory replaced by a
// symlink to the same content, outside DIR, is not read through, whatever
// the index says: the plan refuses to write over it, as it does when it
// reads every file.
func TestIndexSymlinks(t *testing.T) {
	files := indexFiles()
	for _, p := range []string{"cluster/a/core/x/values.yaml", "cluster/b/core/x", "cluster/b"} {
		dir := t.TempDir()
		settled(t, dir, files)
		outside := filepath.Join(t.TempDir(), "moved")
		target := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.Rename(target, outside); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, target); err != nil {
			t.Fatal(err)
		}
		before := lsTree(t, filepath.Dir(outside))
		_, err := planOnly(t, dir, render.Header, files, true)
		if _, ok := err.(*ConflictError); !ok {
			t.Errorf("%s replaced by a symlink: plan: %v, want a conflict", p, err)
		}
		checkAgrees(t, dir, files, p+" replaced by a symlink")
		if after := lsTree(t, filepath.Dir(outside)); !reflect.DeepEqual(before, after) {
			t.Errorf("%s replaced by a symlink: what it points to changed", p)
		}
	}
}

// TestKillWhileWritingIndex: a run killed while it writes the index,
// after its apply, leaves the new tree and the previous index (which
// describes a tree that is gone); the next plans agree with reading every
// file, and the next Open removes the half-written index.
func TestKillWhileWritingIndex(t *testing.T) {
	for _, step := range []string{"index-write", "index-rename"} {
		dir := oldDir(t)
		if code, stderr := runHelper(t, "apply", dir, helperFiles+"=a"); code != 0 {
			t.Fatalf("apply a: exit %d\n%s", code, stderr)
		}
		waitTick(t, dir)
		if code, stderr := runHelper(t, "apply", dir, helperFiles+"=b", helperKill+"="+step); code != -1 {
			t.Fatalf("apply b, killed before %q: exit %d\n%s", step, code, stderr)
		}
		tmp, _ := filepath.Glob(filepath.Join(dir, metaDir, indexName+indexTmp+"*"))
		if len(tmp) != 1 {
			t.Errorf("killed before %q: %d half-written indexes, want 1", step, len(tmp))
		}
		for _, set := range []string{"a", "b"} {
			checkAgrees(t, dir, helperSet(set), fmt.Sprintf("killed before %q, set %s", step, set))
		}
		checkClean(t, dir)
	}
}

// TestUnchangedIsScan: on a directory as its index describes it, scan's
// fast path finds what the walk does (generated files, the user's, a
// symlink; a .git directory's content changed meanwhile is not looked
// at), and it gives way to the walk on every change the walk would see.
func TestUnchangedIsScan(t *testing.T) {
	files := indexFiles()
	prepare := func(t *testing.T) string {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"README.md": "mine\n", ".git/HEAD": "ref\n"})
		if err := os.Symlink("README.md", filepath.Join(dir, "cluster-link")); err != nil {
			t.Fatal(err)
		}
		settled(t, dir, files)
		return dir
	}
	dir := prepare(t)
	writeTree(t, dir, map[string]string{".git/objects/ab": "x\n"})
	old := readIndex(filepath.Join(dir, metaDir), render.Header)
	fast, ok := unchanged(dir, old)
	if !ok {
		t.Fatal("a directory as its index says: the fast path was not taken")
	}
	walked, idx, err := walk(dir, render.Header, old)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fast, walked) {
		t.Errorf("fast path found\n%v\nthe walk\n%v", fast, walked)
	}
	if !idx.sameAs(old) || idx.changed {
		t.Error("the walk found the directory changed")
	}
	for _, f := range []string{"README.md", "cluster-link", "cluster/a/core/x/values.yaml"} {
		if _, ok := fast[f]; !ok {
			t.Errorf("fast path: %s is missing", f)
		}
	}

	changes := indexChanges(t)
	for name, change := range changes {
		dir := prepare(t)
		change(dir)
		if _, ok := unchanged(dir, readIndex(filepath.Join(dir, metaDir), render.Header)); ok {
			t.Errorf("%s: the fast path was taken", name)
		}
		checkAgrees(t, dir, files, name)
	}
}

// indexChanges are changes to a directory settled with indexFiles, each of
// which its index must not vouch for.
func indexChanges(t *testing.T) map[string]func(dir string) {
	const p = "cluster/a/core/x/values.yaml"
	return map[string]func(dir string){
		"same size, time put back": func(dir string) {
			full := filepath.Join(dir, p)
			fi, _ := os.Lstat(full)
			os.WriteFile(full, []byte(render.Header+"x: 9\n"), 0o644)
			os.Chtimes(full, fi.ModTime(), fi.ModTime())
		},
		"a file beside": func(dir string) {
			os.WriteFile(filepath.Join(dir, "cluster/a/core/x/stale.yaml"), []byte(render.Header), 0o644)
		},
		"an empty directory": func(dir string) { os.Mkdir(filepath.Join(dir, "cluster/a/new"), 0o755) },
		"removed":            func(dir string) { os.Remove(filepath.Join(dir, p)) },
		"mode changed":       func(dir string) { os.Chmod(filepath.Join(dir, p), 0o600) },
		"directory times":    func(dir string) { os.Chtimes(filepath.Join(dir, "cluster/b"), time.Now(), time.Now()) },
		"a directory swapped for a symlink": func(dir string) {
			moved := filepath.Join(t.TempDir(), "b")
			os.Rename(filepath.Join(dir, "cluster/b"), moved)
			os.Symlink(moved, filepath.Join(dir, "cluster/b"))
		},
		"the symlink retargeted": func(dir string) {
			os.Remove(filepath.Join(dir, "cluster-link"))
			os.Symlink("cluster", filepath.Join(dir, "cluster-link"))
		},
		"racy": func(dir string) {
			fi, _ := os.Lstat(filepath.Join(dir, p))
			at := time.Unix(fi.Sys().(*syscall.Stat_t).Ctim.Unix())
			os.Chtimes(filepath.Join(dir, metaDir, indexName), at, at)
		},
	}
}

// recordedApply plans files in dir and applies the plan, from source if
// it is set, with fault called before each step.
func recordedApply(t *testing.T, dir string, files []render.File, prune bool, source string, fault func(string) error) error {
	t.Helper()
	d, err := Open(context.Background(), dir, Options{fault: fault})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	plan, err := d.Plan(render.Header, files, prune)
	if err != nil {
		t.Fatal(err)
	}
	if source != "" {
		plan.Source = []byte(source)
	}
	return d.Apply(context.Background(), plan)
}

// recordedNow is what Recorded says of dir, opened as build --check opens it.
func recordedNow(t *testing.T, dir string) (string, int, bool) {
	t.Helper()
	d, err := Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	source, plan, ok := d.Recorded(render.Header, func([]byte) bool { return true })
	if !ok {
		return "", 0, false
	}
	if len(plan.Ops) != 0 || !plan.Empty() {
		t.Errorf("Recorded's plan has work: %s", plan.Listing())
	}
	return string(source), plan.Unchanged, true
}

// TestRecorded: an apply records its source in the index; while nothing
// in the directory changes, Recorded returns it, with the plan a build
// from that source would make (nothing to do, as many files unchanged).
// Every change the index must not vouch for, a partial apply that writes,
// and an apply whose index is not written, each make it say nothing.
func TestRecorded(t *testing.T) {
	files := indexFiles()
	prepare := func(t *testing.T, source string) string {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"README.md": "mine\n", ".git/HEAD": "ref\n"})
		if err := os.Symlink("README.md", filepath.Join(dir, "cluster-link")); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := recordedApply(t, dir, files, true, source, nil); err != nil {
				t.Fatal(err)
			}
			waitTick(t, dir)
		}
		return dir
	}
	dir := prepare(t, "a")
	// What a build of the same source asks of it: the index vouches for
	// every entry (the second apply walked what the first left untrusted).
	writeTree(t, dir, map[string]string{".git/objects/ab": "x\n"})
	source, unchangedFiles, ok := recordedNow(t, dir)
	if !ok || source != "a" {
		t.Fatalf("Recorded = %q, %v; want a", source, ok)
	}
	plan, err := planOnly(t, dir, render.Header, files, true)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() || plan.Unchanged != unchangedFiles {
		t.Errorf("Recorded: %d unchanged; a plan: %d unchanged and\n%s", unchangedFiles, plan.Unchanged, plan.Listing())
	}
	if _, _, ok := recordedNow(t, prepare(t, "")); ok {
		t.Error("applies without a source: Recorded says one")
	}

	for name, change := range indexChanges(t) {
		dir := prepare(t, "a")
		change(dir)
		if source, _, ok := recordedNow(t, dir); ok {
			t.Errorf("%s: Recorded still says %q", name, source)
		}
	}

	other := slices.Clone(files)
	other[0] = gen(other[0].Path, "x: 3\n")
	noIndex := func(step string) error {
		if step == "index" {
			return errors.New("no index")
		}
		return nil
	}
	// Each case applies in turn, a clock tick apart, what its steps say.
	type step struct {
		files  []render.File
		prune  bool
		source string
		fault  func(string) error
	}
	cases := map[string]struct {
		steps []step
		// want is what Recorded says then, inIndex what the index holds
		// ("": nothing).
		want, inIndex string
	}{
		"a partial apply that writes": {
			steps: []step{{files: other[:1]}},
		},
		"a partial apply that writes, then one that walks": {
			steps: []step{{files: other[:1]}, {}},
		},
		"a partial apply that changes nothing": {
			steps: []step{{files: files[:1]}},
			want:  "a", inIndex: "a",
		},
		"a whole apply of another source, and the next": {
			steps: []step{{files: other, prune: true, source: "b"}, {files: other, prune: true, source: "b"}},
			want:  "b", inIndex: "b",
		},
		"another source of the same files": {
			steps: []step{{files: files, prune: true, source: "b"}},
			want:  "b", inIndex: "b",
		},
		"a whole apply, then a partial one that walks": {
			steps: []step{{files: other, prune: true, source: "b"}, {}},
		},
		"an apply whose index is not written": {
			steps:   []step{{files: other, prune: true, source: "b", fault: noIndex}},
			inIndex: "a", // and its entries of what changed are not trusted
		},
		"an apply whose index is not written, then a partial one that walks": {
			steps: []step{{files: other, prune: true, source: "b", fault: noIndex}, {}},
		},
	}
	for name, c := range cases {
		dir := prepare(t, "a")
		for _, st := range c.steps {
			if err := recordedApply(t, dir, st.files, st.prune, st.source, st.fault); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			waitTick(t, dir)
		}
		if source, _, _ := recordedNow(t, dir); source != c.want {
			t.Errorf("%s: Recorded says %q, want %q", name, source, c.want)
		}
		if x := readIndex(filepath.Join(dir, metaDir), render.Header); x == nil || string(x.source) != c.inIndex {
			t.Errorf("%s: the index records %v, want %q", name, x, c.inIndex)
		}
	}
}

// TestRecordedAsksFirst: a source that match refuses is not checked
// further, and Recorded says nothing of it.
func TestRecordedAsksFirst(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		if err := recordedApply(t, dir, indexFiles(), true, "a", nil); err != nil {
			t.Fatal(err)
		}
		waitTick(t, dir)
	}
	d, err := Open(context.Background(), dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var asked []string
	match := func(want string) func([]byte) bool {
		return func(s []byte) bool { asked = append(asked, string(s)); return string(s) == want }
	}
	if _, _, ok := d.Recorded(render.Header, match("b")); ok {
		t.Error("a refused source: Recorded is ok")
	}
	if source, _, ok := d.Recorded(render.Header, match("a")); !ok || string(source) != "a" {
		t.Errorf("Recorded = %q, %v", source, ok)
	}
	if !slices.Equal(asked, []string{"a", "a"}) {
		t.Errorf("match was asked %q", asked)
	}
}
