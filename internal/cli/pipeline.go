package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cueerrors "cuelang.org/go/cue/errors"
	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/memlimit"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/redact"
)

// compile is how every command evaluates the platform: pipeline.Run with
// what the command asks for in opts (patterns, a cluster by name, values
// kept, placeholders for unset secrets), and what the flags and the
// session give: the build cache unless turned off, --timeout, progress on
// a terminal, the redactor every printed byte goes through. Platform
// errors come back as *platformError, a timeout as *timeoutError.
func compile(cmd *cobra.Command, f *commonFlags, opts pipeline.Options) (*pipeline.Result, error) {
	stderr := cmd.ErrOrStderr()
	ctx, cancel, err := f.withTimeout(cmd.Context())
	if err != nil {
		return nil, err
	}
	defer cancel()
	ctx, unwatch := memlimit.Watch(ctx, f.memory.bytes())
	defer unwatch()
	opts.Workers = f.workers
	opts.Redactor = sessionOf(cmd).redactor
	if !f.noCache {
		c, err := openCache(f.cacheDir)
		if err != nil {
			if !f.quiet {
				fmt.Fprintf(stderr, "platformc: building without the cache: %v\n", err)
			}
		} else {
			opts.Cache = c
		}
	}
	prog := newProgress(stderr, f.quiet)
	opts.Progress = prog.update
	res, err := pipeline.Run(ctx, opts)
	prog.clear()
	if !f.quiet && res != nil {
		notice(cmd, res, opts.Placeholders)
	}
	if err != nil {
		var merr *memlimit.Exceeded
		if errors.As(context.Cause(ctx), &merr) {
			return nil, &exitError{code: ExitPlatform, msg: fmt.Sprintf(
				"stopped: %s (--max-memory; by default three quarters of the machine's memory); nothing was written: evaluate part of the platform at a time (a pattern such as ./clusters/prod/...), or raise --max-memory",
				merr)}
		}
		var terr *eval.TimeoutError
		if errors.As(err, &terr) {
			return nil, &timeoutError{pending: terr.Pending, root: res.Root, timeout: f.timeout}
		}
		return nil, asPlatformError(err, res.Root)
	}
	return res, nil
}

// notice says which variables @tag fields read were not set, once, and
// what a placeholder kept from being checked.
func notice(cmd *cobra.Command, res *pipeline.Result, placeholders bool) {
	stderr := cmd.ErrOrStderr()
	if placeholders && len(res.Unset) > 0 {
		verb := "is"
		if len(res.Unset) > 1 {
			verb = "are"
		}
		fmt.Fprintf(stderr, "platformc: %s %s not set: evaluated with a placeholder; build and diff need %s set\n",
			strings.Join(res.Unset, ", "), verb, pronoun(len(res.Unset)))
	}
	if res.Notes != nil {
		diag.Print(stderr, res.Notes, res.Root)
	}
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// withTimeout bounds ctx by --timeout (0: no bound).
func (f *commonFlags) withTimeout(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if f.timeout < 0 {
		return nil, nil, usageErr(fmt.Errorf("--timeout %s: the timeout is a positive duration such as 10m, or 0 for none", f.timeout))
	}
	if f.timeout == 0 {
		return ctx, func() {}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	return ctx, cancel, nil
}

// timeoutError says that evaluation did not finish within --timeout, and
// what was still being evaluated.
type timeoutError struct {
	pending error
	root    string
	timeout time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("evaluation did not finish within --timeout %s", e.timeout)
}

func openCache(dir string) (*cache.Cache, error) {
	if dir == "" {
		d, err := cache.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return cache.Open(dir)
}

// asPlatformError keeps usage errors, a cluster not found and cancellation
// as they are, and
// reports CUE errors with their positions.
func asPlatformError(err error, root string) error {
	var (
		uerr *load.UsageError
		nerr *pipeline.NoClusterError
	)
	if errors.As(err, &uerr) || errors.As(err, &nerr) || errors.Is(err, context.Canceled) {
		return err
	}
	var cerr cueerrors.Error
	if errors.As(err, &cerr) {
		return &platformError{root: root, err: err}
	}
	return &exitError{code: ExitPlatform, msg: err.Error()}
}

// session is what every command of one run shares: the redactor that
// learns the secrets the platform reads, and the streams it redacts.
type session struct {
	redactor *redact.Redactor
	stdout   *redact.Writer
}

// reveal stops redacting what the command prints on stdout.
func (s *session) reveal() {
	if s.stdout != nil {
		s.stdout.Reveal()
	}
}

type sessionKey struct{}

// sessionOf returns the command's session; a command run outside Run
// (a test of one command) gets one of its own, which redacts nothing it
// prints.
func sessionOf(cmd *cobra.Command) *session {
	if ctx := cmd.Context(); ctx != nil {
		if s, ok := ctx.Value(sessionKey{}).(*session); ok {
			return s
		}
	}
	return &session{redactor: redact.New(nil)}
}
