package cli

import (
	"context"
	"errors"

	cueerrors "cuelang.org/go/cue/errors"
	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/render"
)

// compiled is the result of load → evaluate → render.
type compiled struct {
	platform *model.Platform
	files    []render.File
}

// compile runs the pipeline build and vet share on the clusters the
// patterns select. Platform errors come back as *platformError.
func compile(cmd *cobra.Command, patterns []string, opts *commonFlags) (*compiled, error) {
	p, err := evaluatePatterns(cmd, patterns, opts)
	if err != nil {
		return nil, err
	}
	files, err := render.All(p)
	if err != nil {
		return nil, &exitError{code: ExitPlatform, msg: err.Error()}
	}
	return &compiled{platform: p, files: files}, nil
}

// evaluatePatterns loads and evaluates the clusters the patterns select.
func evaluatePatterns(cmd *cobra.Command, patterns []string, opts *commonFlags) (*model.Platform, error) {
	lp, err := loadPlatform(patterns)
	if err != nil {
		return nil, err
	}
	return evaluate(cmd, lp, opts)
}

// loadPlatform loads the platform and the cluster directories the
// patterns select, at least one.
func loadPlatform(patterns []string) (*load.Platform, error) {
	lp, err := load.Load(load.Config{Patterns: patterns})
	if err != nil {
		root := ""
		if lp != nil {
			root = lp.Root
		}
		return nil, asPlatformError(err, root)
	}
	if len(lp.Clusters) == 0 {
		return nil, &exitError{code: ExitPlatform, msg: "no clusters matched; a cluster is declared as clusters: <name>: {...} in a directory under clusters/"}
	}
	return lp, nil
}

// evaluate evaluates and checks the loaded platform, showing progress on
// a terminal.
func evaluate(cmd *cobra.Command, lp *load.Platform, opts *commonFlags) (*model.Platform, error) {
	prog := newProgress(cmd.ErrOrStderr(), opts.quiet)
	p, err := eval.Platform(cmd.Context(), lp, eval.Options{Workers: opts.workers, Progress: prog.update})
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
	var cerr cueerrors.Error
	if errors.As(err, &cerr) {
		return &platformError{root: root, err: err}
	}
	return &exitError{code: ExitPlatform, msg: err.Error()}
}
