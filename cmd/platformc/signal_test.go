package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// platformDir copies the reference platform into a new directory, with
// extra files laid over it.
func platformDir(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := copyPlatform(repoRoot, dir); err != nil {
		t.Fatal(err)
	}
	for name, data := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// platformc is the command platformc args (the test binary, which
// testscript put on PATH under that name) run in dir, with the build
// cache in cache.
func platformc(dir, cache string, args ...string) *exec.Cmd {
	cmd := exec.Command("platformc", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PLATFORMC_CACHE="+cache)
	return cmd
}

// explode is a cluster whose evaluation takes hours (see
// broken_exploding_disjunction.txtar).
const explode = `package clusters

clusters: "dev-alpha": values: reloader: reloader: sizes: ({f0: 1} | {f0: 2} | {f0: 3}) &
	({f1: 1} | {f1: 2} | {f1: 3}) & ({f2: 1} | {f2: 2} | {f2: 3}) & ({f3: 1} | {f3: 2} | {f3: 3}) &
	({f4: 1} | {f4: 2} | {f4: 3}) & ({f5: 1} | {f5: 2} | {f5: 3}) & ({f6: 1} | {f6: 2} | {f6: 3}) &
	({f7: 1} | {f7: 2} | {f7: 3}) & ({f8: 1} | {f8: 2} | {f8: 3}) & ({f9: 1} | {f9: 2} | {f9: 3}) &
	({f10: 1} | {f10: 2} | {f10: 3}) & ({f11: 1} | {f11: 2} | {f11: 3})
`

// TestSignalDuringEvaluation: SIGINT, SIGTERM or SIGHUP while the
// platform evaluates stop the build at once; it says that nothing was
// written, writes nothing, and exits 128+signal.
func TestSignalDuringEvaluation(t *testing.T) {
	dir := platformDir(t, map[string]string{"clusters/dev/dev-alpha/explode.cue": explode})
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		cache := filepath.Join(t.TempDir(), "cache")
		cmd := platformc(dir, cache, "build", "--timeout", "0", "-o", "out")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// The cache is opened once the signals are caught, just before
		// evaluating.
		for _, err := os.Stat(cache); err != nil; _, err = os.Stat(cache) {
			select {
			case err := <-exited:
				t.Fatalf("%v: build ended before evaluating: %v\n%s", sig, err, stderr.String())
			case <-time.After(5 * time.Millisecond):
			}
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		<-exited
		if got, want := cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
			t.Errorf("%v: exit %d, want %d", sig, got, want)
		}
		if got := stderr.String(); got != "platformc: interrupted; nothing was written\n" {
			t.Errorf("%v: build said %q", sig, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Errorf("out was written")
	}
}
