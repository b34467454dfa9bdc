package cli

import (
	"bytes"
	"os"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	p := startProgress(&out, func() time.Time { return clock })
	step := func(d time.Duration, done, total int) {
		clock = clock.Add(d)
		p.update(done, total)
	}
	step(100*time.Millisecond, 1, 10) // too early: a short run draws nothing
	if out.Len() != 0 {
		t.Fatalf("drawn before the delay: %q", out.String())
	}
	step(300*time.Millisecond, 4, 10)
	step(50*time.Millisecond, 5, 10)  // too soon after the last
	step(100*time.Millisecond, 7, 10) // due
	step(10*time.Millisecond, 10, 10) // the last is always drawn
	p.clear()
	want := "\r\x1b[Kevaluated 4/10 clusters\r\x1b[Kevaluated 7/10 clusters\r\x1b[Kevaluated 10/10 clusters\r\x1b[K"
	if out.String() != want {
		t.Errorf("drew %q\nwant %q", out.String(), want)
	}
}

// TestProgressNotTerminal: a file, a pipe or -q get no progress at all.
func TestProgressNotTerminal(t *testing.T) {
	f, err := os.Create(t.TempDir() + "/log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	for _, p := range []*progress{newProgress(f, false), newProgress(&buf, false), newProgress(os.Stderr, true)} {
		if p != nil {
			t.Errorf("progress on a non-terminal or with -q: %+v", p)
		}
		p.update(1, 1) // a nil progress is a no-op
		p.clear()
	}
}
