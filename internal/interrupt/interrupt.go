// Package interrupt turns the signals that ask a process to stop —
// SIGINT (Ctrl-C), SIGTERM (CI cancellation, timeout, docker stop) and
// SIGHUP (a closed terminal) — into the cancellation of a context, so that
// a command can undo what it was doing before it exits, and exit with the
// conventional status 128+signal.
package interrupt

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"syscall"
)

// Signals are the signals Context catches.
var Signals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// Error is the cause of a context cancelled by a signal.
type Error struct{ Signal syscall.Signal }

func (e *Error) Error() string { return "interrupted by " + e.Signal.String() }

// Context returns a context that is cancelled, with an *Error as its
// cause, when the process receives one of Signals. Until stop is called
// the signals no longer end the process: a second Ctrl-C does not cut a
// rollback short.
func Context(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, Signals...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			cancel(&Error{Signal: s.(syscall.Signal)})
		case <-done:
		}
	}()
	return ctx, func() {
		close(done)
		signal.Stop(ch)
		cancel(context.Canceled)
	}
}

// Signal returns the signal that cancelled ctx, if one did.
func Signal(ctx context.Context) (syscall.Signal, bool) {
	var e *Error
	if errors.As(context.Cause(ctx), &e) {
		return e.Signal, true
	}
	return 0, false
}

// ExitCode is the status a process stopped by sig exits with, as shells
// report it: 128+sig (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func ExitCode(sig syscall.Signal) int { return 128 + int(sig) }
