package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/schema"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of platformc and of the CUE it evaluates with",
		Long: `Version prints one line: platformc's version (a release tag, or (devel)
with the commit it was built from), the cuelang.org/go it evaluates with,
the Go toolchain, and the schema version it carries (a platform's schema/
must have that version; platformc init --upgrade-schema brings it there).
Give it with a bug report.`,
		Args:    cobra.NoArgs,
		Example: "  platformc version",
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return nil
		},
	}
}

// versionString names the platformc build, the cuelang.org/go module, the
// Go toolchain and the version of the schema platformc carries.
func versionString() string {
	version, cue := "(devel)", "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, dep := range info.Deps {
			if dep.Path == "cuelang.org/go" {
				cue = dep.Version
			}
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				version += " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("platformc %s (cuelang.org/go %s, %s, schema %s)", version, cue, runtime.Version(), schema.Version)
}
