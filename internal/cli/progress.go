package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// Progress on a terminal: "evaluated 120/1000 clusters" on stderr, the
// line rewritten in place and cleared when evaluation ends. Elsewhere (CI
// logs, pipes, files) nothing is drawn, so that output stays plain and
// stable; -q draws nothing either.
const (
	progressDelay = 300 * time.Millisecond // a short run shows nothing
	progressEvery = 100 * time.Millisecond
)

// progress draws the evaluation's progress. A nil *progress draws nothing.
type progress struct {
	w           io.Writer
	now         func() time.Time
	start, last time.Time
	drawn       bool
}

// newProgress returns a progress on w if w is a terminal and quiet is
// not set, else nil.
func newProgress(w io.Writer, quiet bool) *progress {
	inner := w
	if u, ok := w.(interface{ Unwrap() io.Writer }); ok {
		inner = u.Unwrap() // the redacting writer of a session
	}
	f, ok := inner.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return startProgress(w, time.Now)
}

func startProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, now: now, start: now()}
}

// update is eval.Options.Progress.
func (p *progress) update(done, total int) {
	if p == nil {
		return
	}
	t := p.now()
	if t.Sub(p.start) < progressDelay || (t.Sub(p.last) < progressEvery && done < total) {
		return
	}
	p.last, p.drawn = t, true
	fmt.Fprintf(p.w, "\r\x1b[Kevaluated %d/%d clusters", done, total)
	p.flush()
}

// flush shows the line now: a session's writer holds what it is given
// until flushed.
func (p *progress) flush() {
	if f, ok := p.w.(interface{ Flush() error }); ok {
		_ = f.Flush()
	}
}

// clear removes the progress line, if one was drawn.
func (p *progress) clear() {
	if p != nil && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.flush()
		p.drawn = false
	}
}
