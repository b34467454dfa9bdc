package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/pipeline"
)

// compile runs load → evaluate → render on the clusters the patterns
// select, through the build cache unless the flags turn it off. Platform
// errors come back as *platformError.
func compile(ctx context.Context, stderr io.Writer, patterns []string, f *commonFlags) (*pipeline.Result, error) {
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
		return nil, asPlatformError(err, res)
	}
	return res, nil
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
		root := ""
		if res != nil {
			root = res.Root
		}
		return &platformError{root: root, err: err}
	}
	return &exitError{code: ExitPlatform, msg: err.Error()}
}
