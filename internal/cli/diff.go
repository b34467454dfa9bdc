package cli

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/redact"
	"github.com/platformc/platformc/internal/render"
)

type diffFlags struct {
	commonFlags
	out      string
	exitCode bool
}

func newDiffCmd() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff [PATTERN...] -o DIR",
		Short: "Show, as a unified diff, what build would change in DIR",
		Long: `Diff evaluates the selected clusters as build does and prints on stdout a
unified diff of what build would change in DIR: files added (against
/dev/null), updated, and removed (to /dev/null). It writes nothing, but rolls
back first what a run killed while writing DIR had moved. Secret values read
from the environment are redacted.

` + dirHelp + `

` + patternHelp + `

Exit status: 0 (with --exit-code: 0 only when DIR is up to date), 1 errors in
the platform, 2 wrong command line, 3 with --exit-code when DIR differs,
128+signal stopped by a signal.`,
		Example: `  platformc diff -o ../values                  # review what CI would commit
  platformc diff --exit-code -o ../values      # and fail (3) if anything would change`,
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := outDir(cmd, f.out, "out")
			if err != nil {
				return err
			}
			c, err := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: args})
			if err != nil {
				return err
			}
			files, prune := c.Output()
			d, done, err := openDir(cmd, out, true, f.timeout)
			if err != nil {
				return err
			}
			defer done()
			plan, err := d.Plan(render.Header, files, prune)
			if err != nil {
				return &exitError{code: ExitPlatform, msg: err.Error()}
			}
			if _, err := cmd.OutOrStdout().Write(plan.Diff(hideSecrets(sessionOf(cmd).redactor, c.Files))); err != nil {
				return err
			}
			add, update, remove := plan.Counts()
			if !f.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "diff %s: %d to add, %d to update, %d to remove, %d unchanged\n", out, add, update, remove, plan.Unchanged)
			}
			if f.exitCode && !plan.Empty() {
				return &exitError{code: ExitDrift}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&f.out, "out", "o", "out", "output directory to compare with, relative to the working directory (default: out at the module root)")
	cmd.Flags().BoolVar(&f.exitCode, "exit-code", false, "exit 3 if DIR differs from what build would write")
	return cmd
}

// hideSecrets redacts a file's content for a diff. The old content of a
// values file may hold an earlier value of a secret, which the redactor
// does not know: whatever sits where the app's current values files hold
// a secret is hidden too. A values ConfigMap holds the values document as
// a string: it is hidden in the document, as in the values file.
func hideSecrets(r *redact.Redactor, files []render.File) func(path string, data []byte) []byte {
	shapes := r.Shapes()
	for _, f := range files {
		if app, ok := render.ValuesApp(f.Path); ok {
			shapes.Learn(app, f.Data)
		}
	}
	return func(path string, data []byte) []byte {
		if app, ok := render.SveltosValuesApp(path); ok {
			hide := func(doc []byte) []byte { return shapes.Hide(app, doc) }
			if out, ok := render.EditConfigMapValues(data, hide); ok {
				return out
			}
			if slices.Contains(shapes.Groups(), app) {
				return fmt.Appendf(nil, "<redacted: a values ConfigMap of %s, which holds secrets, that is not one platformc writes>\n", app)
			}
		}
		app, _ := render.ValuesApp(path)
		return shapes.Hide(app, data)
	}
}
