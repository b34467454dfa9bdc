package cli

import (
	_ "embed"

	"github.com/spf13/cobra"
)

//go:embed model.txt
var modelHelp string

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
