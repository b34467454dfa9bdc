package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	cueerrors "cuelang.org/go/cue/errors"
	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/redact"
)

// compile runs load → evaluate → render on the clusters the patterns
// select, through the build cache unless the flags turn it off, within
// --timeout, showing progress on a terminal. Platform errors come back as
// *platformError.
func compile(cmd *cobra.Command, patterns []string, f *commonFlags) (*pipeline.Result, error) {
	stderr := cmd.ErrOrStderr()
	ctx, cancel, err := f.withTimeout(cmd.Context())
	if err != nil {
		return nil, err
	}
	defer cancel()
	opts := pipeline.Options{Patterns: patterns, Workers: f.workers}
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
	if err != nil {
		var terr *eval.TimeoutError
		if errors.As(err, &terr) {
			return nil, &timeoutError{pending: terr.Pending, root: rootOf(res), timeout: f.timeout}
		}
		err = asPlatformError(err, rootOf(res))
		var perr *platformError
		if errors.As(err, &perr) {
			perr.redact = redactor(res)
		}
		return nil, err
	}
	return res, nil
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

// evaluatePatterns evaluates the clusters the patterns select, for the
// commands that print the model rather than files. Its clusters have no
// Values (they are rendered as evaluated, or come from the cache).
func evaluatePatterns(cmd *cobra.Command, patterns []string, f *commonFlags) (*model.Platform, error) {
	res, err := compile(cmd, patterns, f)
	if err != nil {
		return nil, err
	}
	return res.Platform, nil
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

func rootOf(res *pipeline.Result) string {
	if res == nil {
		return ""
	}
	return res.Root
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

// loadPlatform loads, without the cache, the platform and the cluster
// directories the patterns select, at least one cluster among them.
func loadPlatform(patterns []string) (*load.Platform, error) {
	lp, err := load.Selected(load.Config{Patterns: patterns})
	if err != nil {
		root, _ := os.Getwd()
		if r, rerr := load.ModuleRoot(root); rerr == nil {
			root = r
		}
		return nil, asPlatformError(err, root)
	}
	if len(lp.Names()) == 0 {
		in := &load.Inputs{Root: lp.Root}
		return nil, asPlatformError(load.NoClusters(in, patterns), lp.Root)
	}
	return lp, nil
}

// evaluate evaluates and checks the loaded platform without the cache
// (the clusters keep their values), within --timeout, showing progress on
// a terminal.
func evaluate(cmd *cobra.Command, lp *load.Platform, f *commonFlags) (*model.Platform, error) {
	ctx, cancel, err := f.withTimeout(cmd.Context())
	if err != nil {
		return nil, err
	}
	defer cancel()
	prog := newProgress(cmd.ErrOrStderr(), f.quiet)
	p, err := eval.Platform(ctx, lp, eval.Options{Workers: f.workers, Progress: prog.update})
	prog.clear()
	if err != nil {
		var terr *eval.TimeoutError
		if errors.As(err, &terr) {
			return nil, &timeoutError{pending: terr.Pending, root: lp.Root, timeout: f.timeout}
		}
		return nil, asPlatformError(err, lp.Root)
	}
	return p, nil
}

// asPlatformError keeps usage errors and cancellation as they are and
// reports CUE errors with their positions.
func asPlatformError(err error, root string) error {
	var uerr *load.UsageError
	if errors.As(err, &uerr) || errors.Is(err, context.Canceled) {
		return err
	}
	var cerr cueerrors.Error
	if errors.As(err, &cerr) {
		return &platformError{root: root, err: err}
	}
	return &exitError{code: ExitPlatform, msg: err.Error()}
}

// redactor hides the secret values of a build in what is printed.
func redactor(res *pipeline.Result) *redact.Redactor {
	if res == nil {
		return nil
	}
	return redact.New(res.Secrets)
}
