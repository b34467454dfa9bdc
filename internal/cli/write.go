package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/output"
	"github.com/platformc/platformc/internal/render"
)

// writeDir brings dir in line with files, the generated files of one kind
// (their header): all or nothing, through output; with prune, generated
// files no longer produced are removed. With check it changes nothing: it
// lists what would change on stdout and, if anything would, fails with
// exit code 3.
func writeDir(cmd *cobra.Command, dir, header string, files []render.File, check, prune bool) (*output.Plan, error) {
	plan, err := output.MakePlan(dir, header, files, prune)
	if err != nil {
		return nil, &exitError{code: ExitPlatform, msg: err.Error()}
	}
	if check {
		fmt.Fprint(cmd.OutOrStdout(), plan.Listing())
		if len(plan.Ops) > 0 {
			add, update, remove := plan.Counts()
			return nil, &exitError{code: ExitDrift, msg: fmt.Sprintf("%s is out of date: %d to add, %d to update, %d to remove; run %s -o %s",
				dir, add, update, remove, cmd.CommandPath(), dir)}
		}
		return plan, nil
	}
	if err := output.Apply(plan); err != nil {
		return nil, &exitError{code: ExitPlatform, msg: err.Error() + "; nothing was changed"}
	}
	return plan, nil
}
