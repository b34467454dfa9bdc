package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/pipeline"
)

// compile runs load → evaluate → render on the clusters the patterns
// select, through the build cache unless the flags turn it off. Platform
// errors come back as *platformError.
func compile(ctx context.Context, stderr io.Writer, patterns []string, f *commonFlags) (*pipeline.Result, error) {
	if f.timeout < 0 {
		return nil, usageErr(fmt.Errorf("--timeout %s: the timeout is a positive duration such as 10m, or 0 for none", f.timeout))
	}
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
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
	res, err := pipeline.Run(ctx, opts)
	if err != nil {
		var terr *eval.TimeoutError
		if errors.As(err, &terr) {
			return nil, &timeoutError{pending: terr.Pending, root: rootOf(res), timeout: f.timeout}
		}
		return nil, asPlatformError(err, res)
	}
	return res, nil
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

// asPlatformError keeps usage errors and cancellation as they are and
// reports CUE errors with their positions.
func asPlatformError(err error, res *pipeline.Result) error {
	var uerr *load.UsageError
	if errors.As(err, &uerr) || errors.Is(err, context.Canceled) {
		return err
	}
	var cerr cueerrors.Error
	if errors.As(err, &cerr) {
		return &platformError{root: rootOf(res), err: err}
	}
	return &exitError{code: ExitPlatform, msg: err.Error()}
}
