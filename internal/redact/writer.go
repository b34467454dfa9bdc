package redact

import (
	"bytes"
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
	lines  bool
}

// NewWriter returns a Writer that writes to w what r leaves of it.
func NewWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{w: w, r: r}
}

// NewLineWriter is NewWriter for messages: each complete line is written
// as soon as it is, for what must show at once (a wait for a lock). A
// secret split over lines is still hidden: each of its lines is one of
// its forms.
func NewLineWriter(w io.Writer, r *Redactor) *Writer {
	return &Writer{w: w, r: r, lines: true}
}

// Write holds p until the next Flush, or, for a line writer, until its
// line is complete.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if w.lines {
		if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
			if err := w.flush(i + 1); err != nil {
				return 0, err
			}
		}
	}
	return len(p), nil
}

// Flush writes what is held, redacted.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flush(len(w.buf))
}

// flush writes the first n bytes held.
func (w *Writer) flush(n int) error {
	if n == 0 {
		return nil
	}
	out := w.buf[:n]
	if !w.reveal {
		out = w.r.Bytes(out)
	}
	_, err := w.w.Write(out)
	w.buf = append(w.buf[:0], w.buf[n:]...)
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
