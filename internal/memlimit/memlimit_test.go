package memlimit

import (
	"context"
	"errors"
	"runtime/debug"
	"testing"
	"time"
)

func TestWatchCancelsOverTheLimit(t *testing.T) {
	ctx, stop := Watch(context.Background(), 1)
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not canceled over the limit")
	}
	var e *Exceeded
	if !errors.As(context.Cause(ctx), &e) || e.Limit != 1 || e.Used <= 1 {
		t.Fatalf("cause %v", context.Cause(ctx))
	}
}

func TestWatchWithoutLimit(t *testing.T) {
	ctx, stop := Watch(context.Background(), 0)
	time.Sleep(2 * every)
	if ctx.Err() != nil {
		t.Fatal("canceled without a limit")
	}
	stop()
	if context.Cause(ctx) == nil || errors.As(context.Cause(ctx), new(*Exceeded)) {
		t.Fatalf("stop: cause %v", context.Cause(ctx))
	}
}

func TestParseAndSize(t *testing.T) {
	for in, want := range map[string]uint64{"6GiB": 6 << 30, "512MiB": 512 << 20, "2G": 2 << 30, "800M": 800 << 20, "1.5GiB": 3 << 29, "4096": 4096, "0": 0} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "-1G", "1T"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if got := Size(3 << 29); got != "1.5 GiB" {
		t.Errorf("Size = %q", got)
	}
	if Default() == 0 {
		t.Error("no default limit on this machine")
	}
}

func TestPace(t *testing.T) {
	if got := Pace(0); got != paceHeadroom {
		t.Errorf("Pace(0) = %d", got)
	}
	if got := Pace(100 << 20); got != 150<<20+paceHeadroom {
		t.Errorf("Pace(100 MiB) = %d", got)
	}
}

// TestWatchPaces checks that Watch keeps a soft memory limit while it
// watches, not above the hard one, and puts the previous one back.
func TestWatchPaces(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	const hard = 1 << 40
	_, stop := Watch(context.Background(), hard)
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) == before {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("no soft limit set")
		}
		time.Sleep(every)
	}
	if soft := debug.SetMemoryLimit(-1); soft <= 0 || soft > hard {
		t.Errorf("soft limit %d, hard %d", soft, hard)
	}
	stop()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("after stop: %d, want %d", got, before)
	}
}

// TestWatchLeavesGOMEMLIMIT checks that a GOMEMLIMIT the user set is not
// overridden.
func TestWatchLeavesGOMEMLIMIT(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "off")
	before := debug.SetMemoryLimit(-1)
	_, stop := Watch(context.Background(), 1<<40)
	time.Sleep(4 * every)
	got := debug.SetMemoryLimit(-1)
	stop()
	if got != before {
		t.Errorf("GOMEMLIMIT set, yet the limit went from %d to %d", before, got)
	}
}
