package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/pipeline"
)

func newVetCmd() *cobra.Command {
	var f commonFlags
	cmd := &cobra.Command{
		Use:   "vet [PATTERN...]",
		Short: "Check the selected clusters, write nothing",
		Long: `Vet evaluates and checks everything build would, and writes nothing: the
types and constraints of the schema, and

` + checks + `

Every error is reported at once, sorted, as file:line:col: message with the
file relative to the module root; related positions (the schema constraint a
value breaks) follow indented.

` + patternHelp + `

Exit status: 0 clean, 1 errors in the platform, 2 wrong command line.`,
		Example: `  platformc vet                          # every cluster, as in pre-commit
  platformc vet ./clusters/prod/...      # the production clusters`,
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := compile(cmd, &f, pipeline.Options{Patterns: args, Placeholders: true})
			if err != nil {
				return err
			}
			if !f.quiet {
				n := len(c.Platform.Clusters)
				fmt.Fprintf(cmd.ErrOrStderr(), "vet: %d cluster%s ok\n", n, plural(n))
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
