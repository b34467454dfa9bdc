// Package memlimit stops a run before it takes the machine's memory: a
// platform far larger than the machine can evaluate (or a mistake that
// makes one) ends with an error that says so, not with the kernel's OOM
// killer ending the process without a word.
package memlimit

import (
	"context"
	"fmt"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exceeded is the cause of a context Watch canceled.
type Exceeded struct {
	Used, Limit uint64
}

func (e *Exceeded) Error() string {
	return fmt.Sprintf("memory use reached %s, over the limit of %s", Size(e.Used), Size(e.Limit))
}

// every is how often memory is looked at: reading the metric costs
// microseconds, and a build grows by megabytes in this time, not gigabytes.
const every = 50 * time.Millisecond

// Watch returns a context that is canceled, with an *Exceeded cause, once
// the memory the Go runtime holds from the system passes limit (0: no
// limit), and a function that stops watching.
func Watch(ctx context.Context, limit uint64) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	if limit == 0 {
		return ctx, func() { cancel(nil) }
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				metrics.Read(sample)
				if used := sample[0].Value.Uint64(); used > limit {
					cancel(&Exceeded{Used: used, Limit: limit})
					return
				}
			}
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}

// Default is the limit a run gets unless told otherwise: three quarters
// of the memory it may use, the machine's or its cgroup's (a CI
// container's), whichever is less; 0 if neither can be read.
func Default() uint64 {
	var total uint64
	var info syscall.Sysinfo_t
	if syscall.Sysinfo(&info) == nil {
		total = uint64(info.Totalram) * uint64(info.Unit)
	}
	if data, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64); err == nil && (total == 0 || n < total) {
			total = n
		}
	}
	return total / 4 * 3
}

// Size formats n bytes for people: 512 MiB, 3.2 GiB.
func Size(n uint64) string {
	const mib, gib = 1 << 20, 1 << 30
	if n >= gib {
		return strconv.FormatFloat(float64(n)/gib, 'f', 1, 64) + " GiB"
	}
	return strconv.FormatUint(n/mib, 10) + " MiB"
}

// Parse reads a size such as 6GiB, 512MiB, 2G, 800M or a number of bytes.
func Parse(s string) (uint64, error) {
	units := []struct {
		suffix string
		mult   uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := uint64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a size such as 6GiB or 800MiB", s)
	}
	return uint64(f * float64(mult)), nil
}
