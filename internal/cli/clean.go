package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCleanCmd() *cobra.Command {
	var cacheDir string
	var cacheFlag bool
	cmd := &cobra.Command{
		Use:   "clean --cache",
		Short: "Remove the build cache",
		Long: `Clean --cache removes every entry of the build cache ($PLATFORMC_CACHE, else
platformc/ in the user cache directory, or --cache-dir). The cache only saves
time: the next build evaluates every cluster again and refills it.`,
		Example: "  platformc clean --cache",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cacheFlag {
				return usageErr(fmt.Errorf("nothing to clean: say what, as in platformc clean --cache"))
			}
			c, err := openCache(cacheDir)
			if err != nil {
				return &exitError{code: ExitPlatform, msg: err.Error()}
			}
			if err := c.Clean(); err != nil {
				return &exitError{code: ExitPlatform, msg: fmt.Sprintf("clean %s: %v", c.Dir(), err)}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "removed the build cache %s\n", c.Dir())
			return nil
		},
	}
	cmd.Flags().BoolVar(&cacheFlag, "cache", false, "remove the build cache")
	cmd.Flags().StringVar(&cacheDir, "cache-dir", "", "build cache directory (default: $PLATFORMC_CACHE, else platformc/ in the user cache directory)")
	return cmd
}
