package main

import (
	"bufio"
	"bytes"
	"context"
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

	"github.com/platformc/platformc/internal/output"
)

// These tests run the real platformc against a directory whose lock this
// test process holds, or two of them at once.

// holdLock opens out as build does, in this process, and returns it
// locked.
func holdLock(t *testing.T, out string) *output.Dir {
	t.Helper()
	d, err := output.Open(context.Background(), out, output.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// startWaiting starts cmd and returns once it says that it waits for
// this process, which holds the lock of out.
func startWaiting(t *testing.T, cmd *exec.Cmd, out string) *bufio.Reader {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(stderr)
	line, _ := r.ReadString('\n')
	if want := fmt.Sprintf("platformc: waiting for another platformc run writing %s (pid %d)\n", out, os.Getpid()); line != want {
		t.Fatalf("platformc said %q; want %q", line, want)
	}
	return r
}

// TestBuildWaitsForAnotherRun: build says that it waits for the run
// holding the lock, naming its pid, and builds once it is released.
func TestBuildWaitsForAnotherRun(t *testing.T) {
	dir := platformDir(t, nil)
	d := holdLock(t, filepath.Join(dir, "out"))
	cmd := platformc(dir, filepath.Join(dir, ".cache"), "build", "-o", "out")
	stderr := startWaiting(t, cmd, "out")
	d.Close()
	rest, _ := io.ReadAll(stderr)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("build: %v\n%s", err, rest)
	}
	if !bytes.HasPrefix(rest, []byte("built 3 clusters into out: 99 files written")) {
		t.Errorf("build said %q", rest)
	}
}

// TestBuildGivesUpAfterTimeout: a build that waited --timeout for the
// lock fails (exit 1), saying for whom it waited, and writes nothing.
func TestBuildGivesUpAfterTimeout(t *testing.T) {
	dir := platformDir(t, nil)
	// A warm cache, so that evaluating takes much less than --timeout.
	if msg, err := platformc(dir, filepath.Join(dir, ".cache"), "build", "-q", "-o", "warm").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, msg)
	}
	holdLock(t, filepath.Join(dir, "out"))
	cmd := platformc(dir, filepath.Join(dir, ".cache"), "build", "--timeout", "2s", "-o", "out")
	stderr := startWaiting(t, cmd, "out")
	rest, _ := io.ReadAll(stderr)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	want := fmt.Sprintf("platformc: out: another platformc run (pid %d) is still writing this directory after --timeout 2s; nothing was written (raise --timeout, or set it to 0 to wait as long as it takes)\n", os.Getpid())
	if string(rest) != want {
		t.Errorf("build said %q; want %q", rest, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "cluster")); err == nil {
		t.Errorf("out/cluster was written")
	}
}

// TestSignalWhileWaiting: SIGINT, SIGTERM or SIGHUP stop a build waiting
// for the lock: it exits 128+signal, having written nothing.
func TestSignalWhileWaiting(t *testing.T) {
	dir := platformDir(t, nil)
	holdLock(t, filepath.Join(dir, "out"))
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cmd := platformc(dir, filepath.Join(dir, ".cache"), "build", "-o", "out")
		stderr := startWaiting(t, cmd, "out")
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		rest, _ := io.ReadAll(stderr)
		cmd.Wait()
		if got, want := cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
			t.Errorf("%v: exit %d, want %d", sig, got, want)
		}
		if string(rest) != "platformc: interrupted; nothing was written\n" {
			t.Errorf("%v: build said %q", sig, rest)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "cluster")); err == nil {
		t.Errorf("out/cluster was written")
	}
}

// TestTwoBuildsAtOnce builds two platforms (the reference and one with a
// cluster less and a value changed) into one directory at the same time,
// again and again: both succeed, and the directory is always exactly the
// build of one of them, its lock file the same file throughout.
func TestTwoBuildsAtOnce(t *testing.T) {
	a := platformDir(t, nil)
	b := platformDir(t, map[string]string{"clusters/dev/dev-alpha/retention.cue": `package clusters

clusters: "dev-alpha": values: "victoria-metrics-cluster": "victoria-metrics-cluster": vmstorage: retentionPeriod: "3d"
`})
	if err := os.RemoveAll(filepath.Join(b, "clusters", "prod")); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir() // shared: only the first builds evaluate
	build := func(dir, out string) *exec.Cmd { return platformc(dir, cache, "build", "-q", "-o", out) }
	tree := func(dir string) map[string]string {
		out := filepath.Join(t.TempDir(), "out")
		if msg, err := build(dir, out).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", dir, err, msg)
		}
		return readFiles(t, out)
	}
	treeA, treeB := tree(a), tree(b)
	if reflect.DeepEqual(treeA, treeB) {
		t.Fatal("the two platforms build the same files")
	}
	out := filepath.Join(t.TempDir(), "out")
	holdLock(t, out).Close()
	lock := filepath.Join(out, ".platformc", "lock")
	inode := inodeOf(t, lock)
	rounds := 10
	if testing.Short() {
		rounds = 3
	}
	waited := 0
	for round := range rounds {
		ca, cb := build(a, out), build(b, out)
		var ea, eb bytes.Buffer
		ca.Stderr, cb.Stderr = &ea, &eb
		if err := ca.Start(); err != nil {
			t.Fatal(err)
		}
		if err := cb.Start(); err != nil {
			t.Fatal(err)
		}
		if err := ca.Wait(); err != nil {
			t.Errorf("round %d: build a: %v\n%s", round, err, ea.String())
		}
		if err := cb.Wait(); err != nil {
			t.Errorf("round %d: build b: %v\n%s", round, err, eb.String())
		}
		if strings.Contains(ea.String()+eb.String(), "platformc: waiting for another platformc run writing "+out+" (pid ") {
			waited++
		}
		got := readFiles(t, out)
		if !reflect.DeepEqual(got, treeA) && !reflect.DeepEqual(got, treeB) {
			t.Fatalf("round %d: out is neither a's build nor b's", round)
		}
		if inodeOf(t, lock) != inode {
			t.Fatalf("round %d: the lock file was replaced", round)
		}
	}
	t.Logf("%d of %d rounds, one build waited for the other", waited, rounds)
}

// readFiles is the files below dir, .platformc/ apart (checked to hold
// nothing but its .gitignore, the lock and the index).
func readFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, ".platformc"+string(filepath.Separator)) {
			if rel != filepath.Join(".platformc", ".gitignore") && rel != filepath.Join(".platformc", "lock") && rel != filepath.Join(".platformc", "index") {
				t.Errorf("%s left in %s", rel, dir)
			}
			return nil
		}
		data, err := os.ReadFile(p)
		files[rel] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func inodeOf(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
