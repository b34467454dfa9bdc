package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/output"
	"github.com/platformc/platformc/internal/render"
)

// writeDir brings dir in line with files, the generated files of one kind
// (their header): all or nothing, through output; with prune, generated
// files no longer produced are removed. With check it changes nothing: it
// lists what would change on stdout and, if anything would, fails with
// exit code 3. source, if set, is recorded with what it writes (see
// output.Plan.Source). Either way it first waits, up to timeout, for another run
// writing dir, and rolls back an apply that was interrupted there.
func writeDir(cmd *cobra.Command, dir, header string, files []render.File, check, prune bool, source []byte, timeout time.Duration) (*output.Plan, error) {
	d, done, err := openDir(cmd, dir, check, timeout)
	if err != nil {
		return nil, err
	}
	defer done()
	plan, err := d.Plan(header, files, prune)
	if err != nil {
		return nil, &exitError{code: ExitPlatform, msg: err.Error()}
	}
	if check {
		fmt.Fprint(cmd.OutOrStdout(), plan.Listing())
		if !plan.Empty() {
			add, update, remove := plan.Counts()
			return nil, &exitError{code: ExitDrift, msg: fmt.Sprintf("%s is out of date: %d to add, %d to update, %d to remove; run %s -o %s",
				dir, add, update, remove, cmd.CommandPath(), dir)}
		}
		return plan, nil
	}
	plan.Source = source
	if err := d.Apply(cmd.Context(), plan); err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, &exitError{code: ExitPlatform, msg: err.Error()}
	}
	return plan, nil
}

// openDir opens dir through output.Open, to read only or to write: it
// waits for another run writing dir (saying so) up to timeout (0: no
// limit), and reports on stderr what it had to put right.
func openDir(cmd *cobra.Command, dir string, readOnly bool, timeout time.Duration) (*output.Dir, func(), error) {
	ctx, cancel := cmd.Context(), context.CancelFunc(func() {})
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	stderr := cmd.ErrOrStderr()
	d, err := output.Open(ctx, dir, output.Options{
		ReadOnly: readOnly,
		Notify:   func(msg string) { fmt.Fprintf(stderr, "platformc: %s\n", msg) },
	})
	var busy *output.BusyError
	switch {
	case err == nil:
		return d, func() { d.Close(); cancel() }, nil
	case errors.As(err, &busy):
		err = &busyError{&exitError{code: ExitPlatform, msg: fmt.Sprintf("%s after --timeout %s; nothing was written (raise --timeout, or set it to 0 to wait as long as it takes)", err, timeout)}}
	case errors.Is(err, context.Canceled):
	default:
		err = &exitError{code: ExitPlatform, msg: err.Error()}
	}
	cancel()
	return nil, nil, err
}

// busyError is openDir's error when another run kept the directory past
// --timeout.
type busyError struct{ err *exitError }

func (e *busyError) Error() string { return e.err.Error() }
func (e *busyError) Unwrap() error { return e.err }

// outDir is the directory -o names: as given, relative to the working
// directory; not given, def at the module root, wherever in the module the
// command runs. It refuses, as a usage error and before anything is
// evaluated, a directory where generated files would do harm (see
// output.CheckDir): the root directory, the platform module or a parent
// of it, anything in .git.
func outDir(cmd *cobra.Command, given, def string) (string, error) {
	wd, _ := os.Getwd()
	root := ""
	if wd != "" {
		root, _ = load.ModuleRoot(wd) // outside a module, loading says so
	}
	dir := given
	if f := cmd.Flags().Lookup("out"); f != nil && !f.Changed && root != "" {
		dir = filepath.Join(root, def)
		if r, err := filepath.Rel(wd, dir); err == nil {
			dir = r
		}
	}
	name := "-o " + dir
	if dir == "" {
		name = `-o ""`
	}
	return dir, outDirError(name, output.CheckDir(dir, root), "the generated files go into a directory of their own, such as -o out or a checkout of the values repo")
}

// outDirError makes CheckDir's refusal of what a command was given as
// name a usage error that says what to do instead.
func outDirError(name string, err error, advice string) error {
	var derr *output.DirError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &derr):
		return usageErr(fmt.Errorf("%s: %s; %s", name, derr.Reason, advice))
	default:
		return usageErr(fmt.Errorf("%s: %w", name, err))
	}
}
