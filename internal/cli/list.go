package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/suggest"
	"github.com/platformc/platformc/internal/view"
)

func newListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list clusters|bundles|apps [PATTERN...]",
		Short: "List the clusters, bundles or apps of the platform",
		Long: `List prints the platform's clusters, bundles or apps as an aligned table, or
with -o json or -o yaml as data for scripts (with the full lists where the
table shows counts).`,
		Example: `  platformc list clusters
  platformc list bundles -o json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return whatError(cmd, args)
		},
	}
	cmd.AddCommand(
		newListKindCmd("clusters", "List the selected clusters", `Lists the clusters the patterns select, with their environment, the control
plane managing it, the number of apps and the enabled bundles.`,
			`  platformc list clusters
  platformc list clusters ./clusters/prod/...
  platformc list clusters -o json | jq -r '.[] | select(.labels.tier == "critical") | .name'`,
			func(p *model.Platform) view.Texter { return view.Clusters(p) }),
		newListKindCmd("bundles", "List the bundles", `Lists every bundle with its version, whether every cluster must enable it,
the bundles it requires, and how many apps it has and how many of the
selected clusters enable it.`,
			`  platformc list bundles
  platformc list bundles ./clusters/prod/... -o yaml   # which prod clusters enable what`,
			func(p *model.Platform) view.Texter { return view.Bundles(p) }),
		newListKindCmd("apps", "List the apps of every bundle", `Lists the app of every bundle with its bundle, catalog category, chart
version, the bundle version that first shipped it (since), its namespace
and how many of the selected clusters run it.`,
			`  platformc list apps
  platformc list apps -o json | jq -r '.[] | "\(.name) \(.chart)"'`,
			func(p *model.Platform) view.Texter { return view.Apps(p) }),
	)
	return cmd
}

type listFlags struct {
	commonFlags
	formatFlag
}

func newListKindCmd(kind, short, long, example string, rows func(*model.Platform) view.Texter) *cobra.Command {
	var f listFlags
	cmd := &cobra.Command{
		Use:     kind + " [PATTERN...]",
		Short:   short,
		Long:    long + "\n\n" + patternHelp + "\n\nExit status: 0 listed, 1 errors in the platform, 2 wrong command line.",
		Example: example,
		RunE: func(cmd *cobra.Command, patterns []string) error {
			c, err := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: patterns, Placeholders: true})
			if err != nil {
				return err
			}
			return printData(cmd, f.format, rows(c.Platform))
		},
		ValidArgsFunction: completeDirs,
	}
	f.commonFlags.register(cmd)
	f.formatFlag.register(cmd)
	return cmd
}

// printData prints data on stdout in the chosen format.
func printData(cmd *cobra.Command, format view.Format, data view.Texter) error {
	if err := view.Print(cmd.OutOrStdout(), format, data); err != nil {
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	return nil
}

// whatError is the usage error of a command that needs a subcommand, such
// as list and show.
func whatError(cmd *cobra.Command, args []string) error {
	var kinds []string
	for _, c := range cmd.Commands() {
		kinds = append(kinds, c.Name())
	}
	if len(args) == 0 {
		return usageErr(fmt.Errorf("%s what? one of: %s", cmd.Name(), strings.Join(kinds, ", ")))
	}
	hint := ""
	if best, ok := suggest.Closest(args[0], kinds); ok {
		hint = fmt.Sprintf("; did you mean %q?", best)
	}
	return usageErr(fmt.Errorf("%s %q: not one of: %s%s", cmd.Name(), args[0], strings.Join(kinds, ", "), hint))
}
