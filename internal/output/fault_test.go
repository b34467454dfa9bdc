package output

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/platformc/platformc/internal/interrupt"
	"github.com/platformc/platformc/internal/render"
)

// The tests in this file run the test binary again as a helper process
// (TestHelperProcess) that opens a directory, plans and applies one of
// the file sets below, and is killed, signalled or paused at a named step
// of the apply or of the recovery.
const (
	helperMode  = "PLATFORMC_OUTPUT_HELPER" // apply, or open (recover only)
	helperDir   = "PLATFORMC_OUTPUT_HELPER_DIR"
	helperFiles = "PLATFORMC_OUTPUT_HELPER_FILES"  // new, a or b
	helperKill  = "PLATFORMC_OUTPUT_HELPER_KILL"   // SIGKILL itself before this step
	helperPause = "PLATFORMC_OUTPUT_HELPER_PAUSE"  // print "paused" before it, wait for a signal or stdin's end
	helperSrc   = "PLATFORMC_OUTPUT_HELPER_SOURCE" // the plan's Source, if set
)

// oldTree is the directory before the apply: hand-written files, generated
// ones to keep, update and remove, one alone in its directory.
var oldTree = map[string]string{
	"README.md":                          "hand-written\n",
	"cluster/a/notes.txt":                "mine\n",
	"cluster/a/core/keep/values.yaml":    render.Header + "unchanged\n",
	"cluster/a/core/x/values.yaml":       render.Header + "old x\n",
	"cluster/a/core/y/values.yaml":       render.Header + "old y\n",
	"cluster/a/core/gone.yaml":           render.Header + "removed, its directory stays\n",
	"cluster/old/core/v/values.yaml":     render.Header + "removed with its directories\n",
	"argocd/dev/applicationsets/s.yaml":  render.Header + "old s\n",
	"argocd/dev/applicationsets/t.yaml":  render.Header + "removed\n",
	"tanzu/ns/hand-written-cluster.yaml": "not platformc's\n",
}

// helperSet is the generated files of a file set: "new" updates, adds
// and removes across new and existing directories; "a" and "b" are two
// builds of different platforms into one directory.
func helperSet(name string) []render.File {
	files := []render.File{gen("cluster/a/core/keep/values.yaml", "unchanged\n")}
	switch name {
	case "new":
		files = append(files,
			gen("cluster/a/core/x/values.yaml", "new x\n"),
			gen("cluster/a/core/y/values.yaml", "new y\n"),
			gen("cluster/a/core/n/values.yaml", "added in an existing directory\n"),
			gen("cluster/new/core/z/values.yaml", "added with its directories\n"),
			gen("cluster/new/deep/er/w/values.yaml", "added deeper\n"),
			gen("argocd/dev/applicationsets/s.yaml", "new s\n"),
			gen("tanzu/ns/c.yaml", "added beside a hand-written file\n"),
		)
	case "a", "b":
		for i := range 20 {
			files = append(files,
				gen(fmt.Sprintf("cluster/c%d/core/x/values.yaml", i), name+" shared path\n"),
				gen(fmt.Sprintf("cluster/%s%d/core/x/values.yaml", name, i), name+" own path\n"))
		}
	case "a2": // a's paths, half of them with new content
		for i, f := range helperSet("a")[1:] {
			if i%2 == 0 {
				f = gen(f.Path, "a2\n")
			}
			files = append(files, f)
		}
	}
	return files
}

// TestHelperProcess is no test: it is the helper process of the others.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperMode)
	if mode == "" {
		t.Skip("the helper process of the fault-injection tests")
	}
	os.Exit(helper(mode))
}

// helper does what the environment says and returns the exit status a
// command would: 128+signal if a signal stopped it, 1 on an error.
func helper(mode string) int {
	ctx, stop := interrupt.Context(context.Background())
	defer stop()
	stdinClosed := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(stdinClosed) }()
	opts := Options{
		Notify: func(msg string) { fmt.Fprintf(os.Stderr, "platformc: %s\n", msg) },
		fault: func(step string) error {
			if step == os.Getenv(helperKill) {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
			if step == os.Getenv(helperPause) {
				fmt.Println("paused")
				select {
				case <-ctx.Done():
				case <-stdinClosed:
				}
			}
			return nil
		},
	}
	err := func() error {
		d, err := Open(ctx, os.Getenv(helperDir), opts)
		if err != nil || mode == "open" {
			return err
		}
		defer d.Close()
		plan, err := d.Plan(render.Header, helperSet(os.Getenv(helperFiles)), true)
		if err != nil {
			return err
		}
		if src := os.Getenv(helperSrc); src != "" {
			plan.Source = []byte(src)
		}
		return d.Apply(ctx, plan)
	}()
	if err != nil {
		fmt.Fprintf(os.Stderr, "platformc: %v\n", err)
	}
	if sig, ok := interrupt.Signal(ctx); ok {
		return interrupt.ExitCode(sig)
	}
	if err != nil {
		return 1
	}
	return 0
}

// helperCmd is the helper process for mode, with env (NAME=value) added.
func helperCmd(t testing.TB, mode, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperMode+"="+mode, helperDir+"="+dir)
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// runHelper runs the helper to its end: its exit status (-1 when killed
// by SIGKILL) and stderr.
func runHelper(t testing.TB, mode, dir string, env ...string) (int, string) {
	t.Helper()
	cmd := helperCmd(t, mode, dir, env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var xerr *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &xerr):
		if ws, ok := xerr.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return -1, stderr.String()
		}
		return xerr.ExitCode(), stderr.String()
	}
	t.Fatal(err)
	return 0, ""
}

// oldDir makes a directory holding oldTree.
func oldDir(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "out")
	writeTree(t, dir, oldTree)
	return dir
}

// oldAndNew returns the tree of oldTree, and that of oldTree after the
// complete apply of set.
func oldAndNew(t *testing.T, set string) (before, after map[string]entry) {
	dir := oldDir(t)
	before = lsTree(t, dir)
	if code, stderr := runHelper(t, "apply", dir, helperFiles+"="+set); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	after = userTree(lsTree(t, dir))
	if reflect.DeepEqual(before, after) {
		t.Fatal("the apply changes nothing")
	}
	return before, after
}

// recordSteps opens dir in this process, as the helper would with mode,
// and returns the steps it went through.
func recordSteps(t *testing.T, mode, dir string) []string {
	t.Helper()
	var steps []string
	d, err := Open(context.Background(), dir, Options{fault: func(s string) error { steps = append(steps, s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if mode == "apply" {
		plan, err := d.Plan(render.Header, helperSet("new"), true)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Apply(context.Background(), plan); err != nil {
			t.Fatal(err)
		}
	}
	return steps
}

// committed reports whether a kill before step leaves the apply done:
// only once the journal is gone (the index is written after).
func committed(step string) bool { return step == "clean" || strings.HasPrefix(step, "index") }

// checkWhole fails unless dir is exactly want (the old or the new tree),
// with nothing of an apply left in .platformc/.
func checkWhole(t *testing.T, dir string, want map[string]entry, what string) {
	t.Helper()
	got := userTree(lsTree(t, dir))
	if !reflect.DeepEqual(got, want) {
		var diff []string
		for p, e := range want {
			if g, ok := got[p]; !ok {
				diff = append(diff, "missing "+p)
			} else if g != e {
				diff = append(diff, fmt.Sprintf("%s: %v, want %v", p, g, e))
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok {
				diff = append(diff, "extra "+p)
			}
		}
		t.Errorf("%s: the directory is not whole:\n%s", what, strings.Join(diff, "\n"))
	}
	checkClean(t, dir)
}

// TestKillAtEveryStep kills (SIGKILL) a process applying a plan before
// each step of the apply in turn. The next Open leaves the directory
// byte for byte the old tree (killed before the commit) or the new one
// (after it): never a mix, never a file missing, nothing left in
// .platformc/ but its .gitignore and the lock. The recovery that next
// Open does is killed in turn at each of its steps, and the Open after
// that still ends with a whole tree.
func TestKillAtEveryStep(t *testing.T) {
	before, after := oldAndNew(t, "new")
	steps := recordSteps(t, "apply", oldDir(t))
	if len(steps) < 10 {
		t.Fatalf("only %d steps: %q", len(steps), steps)
	}
	for _, step := range steps {
		want, wantName := before, "old"
		if committed(step) {
			want, wantName = after, "new"
		}
		dir := oldDir(t)
		if code, stderr := runHelper(t, "apply", dir, helperFiles+"=new", helperKill+"="+step); code != -1 {
			t.Fatalf("kill before %q: exit %d, not killed\n%s", step, code, stderr)
		}
		journaled := exists(filepath.Join(dir, metaDir, journalName))

		// Kill the recovery at each of its steps, on copies (in a short
		// run, only the recovery of the apply killed before its commit).
		if journaled && (!testing.Short() || step == "commit") {
			for _, undo := range recordSteps(t, "open", copyTree(t, dir)) {
				if undo == "undo-clean" {
					continue // the rollback is committed
				}
				c := copyTree(t, dir)
				if code, stderr := runHelper(t, "open", c, helperKill+"="+undo); code != -1 {
					t.Fatalf("kill before %q, then before %q: exit %d, not killed\n%s", step, undo, code, stderr)
				}
				if said := recoverHere(t, c); len(said) != 1 || !strings.HasPrefix(said[0], c+": rolled back an interrupted platformc apply (") {
					t.Errorf("kill before %q, then before %q: the next run says %q", step, undo, said)
				}
				checkWhole(t, c, want, fmt.Sprintf("kill before %q, then before %q: %s tree", step, undo, wantName))
			}
		}

		said := recoverHere(t, dir)
		if rolledBack := len(said) == 1 && strings.HasPrefix(said[0], dir+": rolled back an interrupted platformc apply ("); rolledBack != journaled || len(said) > 1 {
			t.Errorf("kill before %q: the next run says %q (a journal was left: %v)", step, said, journaled)
		}
		checkWhole(t, dir, want, fmt.Sprintf("kill before %q: %s tree", step, wantName))
	}
}

// recoverHere opens dir in this process, as the next run would, and
// returns what it said.
func recoverHere(t *testing.T, dir string) []string {
	t.Helper()
	var said []string
	d, err := Open(context.Background(), dir, Options{Notify: func(m string) { said = append(said, m) }})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	return said
}

// copyTree copies dir, its .platformc/ included, and returns the copy.
func copyTree(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "out")
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, fi.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, fi.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestSignalRollsBack pauses an apply at a step, sends the process
// SIGINT, SIGTERM or SIGHUP, and checks that it rolls back what it moved
// (or, past the last move, finishes) and exits 128+signal.
func TestSignalRollsBack(t *testing.T) {
	before, after := oldAndNew(t, "new")
	for _, tc := range []struct {
		step string
		sig  syscall.Signal
		done bool // the apply finishes: the signal came after the last move
		msg  string
	}{
		{"stage", syscall.SIGTERM, false, ": interrupted before anything was moved; nothing was changed"},
		{"move-new cluster/new/core/z/values.yaml", syscall.SIGTERM, false, ": interrupted while writing; put back the 7 files already moved, nothing was changed"},
		{"move-new cluster/new/core/z/values.yaml", syscall.SIGINT, false, ": interrupted while writing; put back the 7 files already moved, nothing was changed"},
		{"move-new cluster/new/core/z/values.yaml", syscall.SIGHUP, false, ": interrupted while writing; put back the 7 files already moved, nothing was changed"},
		{"prune", syscall.SIGTERM, true, ""},
	} {
		dir := oldDir(t)
		cmd := helperCmd(t, "apply", dir, helperFiles+"=new", helperPause+"="+tc.step)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "paused\n" {
			cmd.Process.Kill()
			t.Fatalf("%s: helper printed %q", tc.step, line)
		}
		if err := cmd.Process.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		what := fmt.Sprintf("%v at %q", tc.sig, tc.step)
		if got, want := cmd.ProcessState.ExitCode(), 128+int(tc.sig); got != want {
			t.Errorf("%s: exit %d (%v), want %d\n%s", what, got, err, want, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.msg) || (tc.msg == "") != (stderr.Len() == 0) {
			t.Errorf("%s: stderr %q, want it to say %q", what, stderr.String(), tc.msg)
		}
		if tc.done {
			checkWhole(t, dir, after, what+": new tree")
		} else {
			checkWhole(t, dir, before, what+": old tree")
		}
	}
}

// TestTwoRunsAtOnce starts two processes writing different platforms
// into one directory at the same time, again and again: each time both
// succeed, the directory is exactly one of the two trees, and the lock
// file is the one that was there at the start.
func TestTwoRunsAtOnce(t *testing.T) {
	_, treeA := oldAndNew(t, "a")
	_, treeB := oldAndNew(t, "b")
	dir := oldDir(t)
	d, err := Open(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	lock := filepath.Join(dir, metaDir, lockName)
	inode := inodeOf(t, lock)
	rounds := 20
	if testing.Short() {
		rounds = 5
	}
	waited := 0
	for round := range rounds {
		a := helperCmd(t, "apply", dir, helperFiles+"=a")
		b := helperCmd(t, "apply", dir, helperFiles+"=b")
		var errA, errB strings.Builder
		a.Stderr, b.Stderr = &errA, &errB
		if err := a.Start(); err != nil {
			t.Fatal(err)
		}
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		if err := a.Wait(); err != nil {
			t.Errorf("round %d: a: %v\n%s", round, err, errA.String())
		}
		if err := b.Wait(); err != nil {
			t.Errorf("round %d: b: %v\n%s", round, err, errB.String())
		}
		if strings.Contains(errA.String()+errB.String(), "waiting for another platformc run") {
			waited++
		}
		got := userTree(lsTree(t, dir))
		if !reflect.DeepEqual(got, treeA) && !reflect.DeepEqual(got, treeB) {
			t.Fatalf("round %d: the directory is neither a's tree nor b's", round)
		}
		checkClean(t, dir)
		if inodeOf(t, lock) != inode {
			t.Fatalf("round %d: the lock file was replaced", round)
		}
	}
	t.Logf("%d of %d rounds, one run waited for the other", waited, rounds)
}

// TestSecondRunWaits holds the lock in one process (paused right after
// locking) and starts a second: it says that it waits, naming the first
// one's pid, and once the first is done, writes its own tree whole.
func TestSecondRunWaits(t *testing.T) {
	_, treeB := oldAndNew(t, "b")
	dir := oldDir(t)
	first := helperCmd(t, "apply", dir, helperFiles+"=a", helperPause+"=locked")
	release, err := first.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := first.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "paused\n" {
		t.Fatalf("first run printed %q", line)
	}

	second := helperCmd(t, "apply", dir, helperFiles+"=b")
	stderr, err := second.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	defer second.Process.Kill()
	errs := bufio.NewReader(stderr)
	line, _ := errs.ReadString('\n')
	if want := fmt.Sprintf("platformc: waiting for another platformc run writing %s (pid %d)\n", dir, first.Process.Pid); line != want {
		t.Fatalf("second run said %q, want %q", line, want)
	}
	release.Close()
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v", err)
	}
	rest, _ := io.ReadAll(errs)
	if err := second.Wait(); err != nil {
		t.Fatalf("second run: %v\n%s", err, rest)
	}
	checkWhole(t, dir, treeB, "after both runs: b's tree")
}

// TestInterruptedApplyIsNotCommitted kills an apply midway in a git
// checkout and runs the README's recipe, git add -A: git stages nothing
// of .platformc/ (journal, stage, lock), before or after the recovery;
// after it, the checkout is clean again.
func TestInterruptedApplyIsNotCommitted(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := oldDir(t)
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "old")
	if code, stderr := runHelper(t, "apply", dir, helperFiles+"=new", helperKill+"=move-new cluster/new/core/z/values.yaml"); code != -1 {
		t.Fatalf("exit %d, not killed\n%s", code, stderr)
	}
	if !exists(filepath.Join(dir, metaDir, journalName)) {
		t.Fatal("no journal left to test with")
	}
	git("add", "-A")
	staged := git("diff", "--cached", "--name-only")
	if strings.Contains(staged, metaDir) || staged == "" {
		t.Errorf("git add -A after a kill staged:\n%s", staged)
	}
	if code, stderr := runHelper(t, "open", dir); code != 0 {
		t.Fatalf("recovery: exit %d\n%s", code, stderr)
	}
	git("add", "-A")
	if status := git("status", "--porcelain", "--untracked-files=all"); status != "" {
		t.Errorf("after the recovery, git status says:\n%s", status)
	}
	if ignored := git("status", "--porcelain", "--ignored"); ignored != "!! .platformc/\n" {
		t.Errorf("git status --ignored says %q; want only .platformc/ ignored", ignored)
	}
}

// TestKillNeverVouchesForWhatIsNotThere kills an apply of the files of
// build "b" (or "a2", which only updates files) over those of build "a",
// recorded as such, before each step in turn: whatever the directory holds
// after the next Open, Recorded names the build whose files they are, or
// none; never "a" over b's files.
func TestKillNeverVouchesForWhatIsNotThere(t *testing.T) {
	settledA := func(t *testing.T) string {
		dir := filepath.Join(t.TempDir(), "out")
		for range 2 {
			if err := recordedApply(t, dir, helperSet("a"), true, "a", nil); err != nil {
				t.Fatal(err)
			}
			waitTick(t, dir)
		}
		if source, _, ok := recordedNow(t, dir); !ok || source != "a" {
			t.Fatalf("settled: Recorded says %q, %v", source, ok)
		}
		return dir
	}
	generated := func(set string) map[string]string {
		m := map[string]string{}
		for _, f := range helperSet(set) {
			m[f.Path] = string(f.Data)
		}
		return m
	}
	check := func(t *testing.T, dir, what string) {
		t.Helper()
		got := map[string]string{}
		for p, data := range userTree(readTree(t, dir)) {
			if strings.HasPrefix(data, render.Header) {
				got[p] = data
			}
		}
		if source, _, ok := recordedNow(t, dir); ok && !reflect.DeepEqual(got, generated(source)) {
			t.Errorf("%s: Recorded says %q, but the directory holds other files", what, source)
		}
	}
	sets := []string{"b", "a2"}
	if testing.Short() {
		sets = sets[1:] // the one only the stat of each file tells
	}
	for _, set := range sets {
		var steps []string
		if err := recordedApply(t, settledA(t), helperSet(set), true, set, func(s string) error { steps = append(steps, s); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(steps) < 10 {
			t.Fatalf("only %d steps: %q", len(steps), steps)
		}
		if testing.Short() {
			// Every step but the moves between the first and the last.
			var some []string
			for i, step := range steps {
				if !strings.HasPrefix(step, "move-") || !strings.HasPrefix(steps[i-1], "move-") || i+1 < len(steps) && !strings.HasPrefix(steps[i+1], "move-") {
					some = append(some, step)
				}
			}
			steps = some
		}
		for _, step := range append(steps, "none") {
			dir := settledA(t)
			code, stderr := runHelper(t, "apply", dir, helperFiles+"="+set, helperSrc+"="+set, helperKill+"="+step)
			if step != "none" && code != -1 || step == "none" && code != 0 {
				t.Fatalf("%s: kill before %q: exit %d\n%s", set, step, code, stderr)
			}
			what := set + ": kill before " + step
			recoverHere(t, dir)
			check(t, dir, what)
			// Once the next plan has listed what it does not trust, and
			// the clock moved on, the index vouches for more: still the
			// truth.
			waitTick(t, dir)
			if err := recordedApply(t, dir, nil, false, "", nil); err != nil {
				t.Fatal(err)
			}
			waitTick(t, dir)
			check(t, dir, what+", then a partial apply")
		}
	}
}
