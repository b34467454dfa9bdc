package interrupt

import (
	"context"
	"os"
	"syscall"
	"testing"
)

// TestContext sends each signal to this process: it cancels the context
// with the signal as its cause, instead of ending the process.
func TestContext(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		ctx, stop := Context(context.Background())
		if _, ok := Signal(ctx); ok {
			t.Fatalf("%v: a signal before any was sent", sig)
		}
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		<-ctx.Done()
		got, ok := Signal(ctx)
		stop()
		if !ok || got != sig {
			t.Errorf("cancelled by %v (%v); want %v", got, ok, sig)
		}
		if code, want := ExitCode(got), 128+int(sig); code != want {
			t.Errorf("%v: exit code %d, want %d", sig, code, want)
		}
	}
	ctx, stop := Context(context.Background())
	stop()
	if _, ok := Signal(ctx); ok || ctx.Err() == nil {
		t.Errorf("stopped: Signal says %v, err %v; want no signal and a cancelled context", ok, ctx.Err())
	}
}
