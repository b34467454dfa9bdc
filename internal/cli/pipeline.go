package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

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
// select, through the build cache unless the flags turn it off, showing
// progress on a terminal. Platform errors come back as *platformError.
func compile(cmd *cobra.Command, patterns []string, f *commonFlags) (*pipeline.Result, error) {
	stderr := cmd.ErrOrStderr()
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
	res, err := pipeline.Run(cmd.Context(), opts)
	prog.clear()
	if err != nil {
		root := ""
		if res != nil {
			root = res.Root
		}
		err = asPlatformError(err, root)
		var perr *platformError
		if errors.As(err, &perr) {
			perr.redact = redactor(res)
		}
		return nil, err
	}
	return res, nil
}

// evaluatePatterns evaluates the clusters the patterns select, for the
// commands that print the model rather than files. Clusters may come from
// the build cache: they have no Values.
func evaluatePatterns(cmd *cobra.Command, patterns []string, f *commonFlags) (*model.Platform, error) {
	res, err := compile(cmd, patterns, f)
	if err != nil {
		return nil, err
	}
	return res.Platform, nil
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
		return nil, asPlatformError(pipeline.ErrNoClusters{}, lp.Root)
	}
	return lp, nil
}

// evaluate evaluates and checks the loaded platform without the cache
// (the clusters keep their values), showing progress on a terminal.
func evaluate(cmd *cobra.Command, lp *load.Platform, f *commonFlags) (*model.Platform, error) {
	prog := newProgress(cmd.ErrOrStderr(), f.quiet)
	p, err := eval.Platform(cmd.Context(), lp, eval.Options{Workers: f.workers, Progress: prog.update})
	prog.clear()
	if err != nil {
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
	var none pipeline.ErrNoClusters
	if errors.As(err, &none) {
		return &exitError{code: ExitPlatform, msg: err.Error()}
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
