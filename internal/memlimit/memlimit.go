// Package memlimit stops a run before it takes the machine's memory: a
// platform far larger than the machine can evaluate (or a mistake that
// makes one) ends with an error that says so, not with the kernel's OOM
// killer ending the process without a word.
package memlimit

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
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
// limit), and a function that stops watching. Unless GOMEMLIMIT is set, it
// also keeps the runtime's soft memory limit at Pace of the live heap
// (never above limit) while it watches, and puts the previous one back
// when stopped.
func Watch(ctx context.Context, limit uint64) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	pace := os.Getenv("GOMEMLIMIT") == ""
	if limit == 0 && !pace {
		return ctx, func() { cancel(nil) }
	}
	prev := debug.SetMemoryLimit(-1)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		sample := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/gc/heap/live:bytes"}}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				metrics.Read(sample)
				if used := sample[0].Value.Uint64(); limit > 0 && used > limit {
					cancel(&Exceeded{Used: used, Limit: limit})
					return
				}
				if pace {
					soft := Pace(sample[1].Value.Uint64())
					if limit > 0 {
						soft = min(soft, limit)
					}
					debug.SetMemoryLimit(int64(min(soft, math.MaxInt64)))
				}
			}
		}
	}()
	return ctx, func() {
		close(done)
		<-stopped
		if pace {
			debug.SetMemoryLimit(prev)
		}
		cancel(nil)
	}
}

// Pace is the soft memory limit (debug.SetMemoryLimit) a run keeps while
// the heap holds live bytes at the last collection, unless GOMEMLIMIT
// says otherwise: half as much again, plus room to allocate in. The
// collector runs with GOGC above 100 for speed (see cli), which lets a
// large heap grow to two and a half times what is live; this keeps it
// nearer, while a small heap, under the headroom, is paced by GOGC alone.
// Watch updates it every 50 ms as the live heap grows, so it does not stay
// below it; if it briefly does, the runtime caps what the collector may
// take at half the CPU.
func Pace(live uint64) uint64 { return live + live/2 + paceHeadroom }

// paceHeadroom is what a heap may grow by past Pace's half, at least.
const paceHeadroom = 96 << 20

// Default is the limit a run gets unless told otherwise: three quarters
// of the memory it may use, the machine's or its cgroup's (a CI
// container's), whichever is less; 0 if neither can be read.
func Default() uint64 {
	total := machineMemory()
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
