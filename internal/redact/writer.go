package redact

import (
	"io"
	"sync"
)

// Writer is the one place where platformc's bytes leave the process: it
// holds what is written until Flush, then writes it redacted. Holding it
// whole means that a secret split over several writes is still seen whole,
// and that secrets learnt late (once the platform is loaded) still hide
// what was written before.
type Writer struct {
	mu     sync.Mutex
	w      io.Writer
	r      *Redactor
	buf    []byte
	reveal bool
}

// NewWriter returns a Writer that writes to w what r leaves of it.
func NewWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{w: w, r: r}
}

// Write holds p until the next Flush.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes what is held, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	out := w.buf
	if !w.reveal {
		out = w.r.Bytes(out)
	}
	w.buf = w.buf[:0]
	_, err := w.w.Write(out)
	return err
}

// Reveal makes w write secrets as they are, from the next Flush on: what a
// user asks for by name (show --values --reveal).
func (w *Writer) Reveal() {
	w.mu.Lock()
	w.reveal = true
	w.mu.Unlock()
}

// Unwrap is the writer w writes to, to tell whether it is a terminal.
func (w *Writer) Unwrap() io.Writer { return w.w }
