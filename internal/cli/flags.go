package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// commonFlags are the flags of every command that evaluates the platform.
type commonFlags struct {
	workers  int
	quiet    bool
	noCache  bool
	cacheDir string
	timeout  time.Duration
}

// DefaultTimeout bounds an evaluation unless --timeout says otherwise:
// generous for thousands of clusters, short of a CI job hanging for hours.
const DefaultTimeout = 10 * time.Minute

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.workers, "jobs", "j", 0, "cluster directories evaluated at once (default: the number of CPUs)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on success")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "evaluate every cluster, neither reading nor writing the build cache")
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", "", "build cache directory (default: $PLATFORMC_CACHE, else platformc/ in the user cache directory)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", DefaultTimeout, "give up, writing nothing, if evaluating takes longer than this (0: no limit)")
}

// patternArgs documents the patterns every such command takes.
const patternHelp = `PATTERN selects cluster directories as go and cue patterns do: ./clusters/...
(every cluster, the default), ./clusters/prod/... (one environment), or
./clusters/prod/edge-1 (one cluster's directory). Patterns are relative to the
current directory, which must be inside the platform module.`

// formatFlag is -o for commands that print data: an aligned table for
// people, or json or yaml for scripts.
type formatFlag struct{ format string }

func (f *formatFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.format, "output", "o", "table", "output format: table, json or yaml")
}

// check refuses an unknown format as a usage error (exit 2).
func (f *formatFlag) check() error {
	switch f.format {
	case "table", "json", "yaml":
		return nil
	}
	return usageErr(fmt.Errorf("-o %q: the output format is table, json or yaml", f.format))
}

// write prints v as JSON or YAML, or calls table for the table format.
func (f *formatFlag) write(w io.Writer, v any, table func(io.Writer) error) error {
	switch f.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		data, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	default:
		return table(w)
	}
}
