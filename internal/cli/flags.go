package cli

import (
	"github.com/spf13/cobra"
)

// commonFlags are the flags of every command that evaluates the platform.
type commonFlags struct {
	workers  int
	quiet    bool
	noCache  bool
	cacheDir string
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.workers, "jobs", "j", 0, "cluster directories evaluated at once (default: the number of CPUs)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on success")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "evaluate every cluster, neither reading nor writing the build cache")
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", "", "build cache directory (default: $PLATFORMC_CACHE, else platformc/ in the user cache directory)")
}

// patternArgs documents the patterns every such command takes.
const patternHelp = `PATTERN selects cluster directories as go and cue patterns do: ./clusters/...
(every cluster, the default), ./clusters/prod/... (one environment), or
./clusters/prod/edge-1 (one cluster's directory). Patterns are relative to the
current directory, which must be inside the platform module.`
