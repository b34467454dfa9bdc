package cli

import (
	_ "embed"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

//go:embed model.txt
var modelText string

// checks is what platformc checks, written once: in help model, in vet
// --help and, verbatim, in README.md (TestChecksListedOnce).
//
//go:embed checks.txt
var checks string

// modelHelp is help model, with the checks.
var modelHelp = strings.Replace(modelText, "{{checks}}\n", checks, 1)

// newHelpTopics returns the help topics: commands without a run function,
// which platformc help TOPIC prints and platformc help lists, as cue help
// does.
func newHelpTopics() []*cobra.Command {
	return []*cobra.Command{{
		Use:   "model",
		Short: "The CUE model of a platform: packages, bundles, clusters, checks",
		Long:  modelHelp,
	}}
}

// newHelpCmd is "platformc help [COMMAND|TOPIC]", as cobra's but with an
// unknown topic a usage error (exit 2) rather than a help page and 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command|topic]",
		Short: "Help about any command or topic",
		Long: `Help prints the help of a command (platformc help build, as
platformc build --help does) or of a topic (platformc help model).`,
		Example: `  platformc help build
  platformc help model`,
		ValidArgsFunction: func(c *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, sub := range c.Root().Commands() {
				if sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
					names = append(names, sub.Name())
				}
			}
			return withPrefix(names, prefix), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 || (len(args) > 0 && target == c.Root()) {
				return usageErr(fmt.Errorf("help %q: no such command or topic; platformc help lists them", strings.Join(args, " ")))
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}
