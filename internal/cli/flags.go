package cli

import (
	"github.com/spf13/cobra"
)

// commonFlags are the flags of every command that evaluates the platform.
type commonFlags struct {
	workers int
	quiet   bool
}

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.workers, "jobs", "j", 0, "clusters evaluated at once (default: the number of CPUs)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on success")
}

// patternArgs documents the patterns every such command takes.
const patternHelp = `PATTERN selects cluster directories as go and cue patterns do: ./clusters/...
(every cluster, the default), ./clusters/prod/... (one environment), or
./clusters/prod/edge-1 (one cluster's directory). Patterns are relative to the
current directory, which must be inside the platform module.`
