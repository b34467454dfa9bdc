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
		Long: `Vet evaluates and checks everything build would, and writes nothing: types and
constraints of the schema, that every value reaching the output is concrete,
the policy (enabled bundles exist, required bundles are on, bundle
requirements hold, labels are valid and bundle labels come from enabled
bundles, control-plane replicas are 1 or 3, a control plane manages the
cluster's environment), cluster names unique across the platform, no two
Applications (<cluster>-<app>) with one name, and no two apps of a cluster
sharing a namespace and release name.

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
				fmt.Fprintf(cmd.ErrOrStderr(), "vet: %d clusters ok, %d files\n", len(c.Platform.Clusters), len(c.Files))
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}
