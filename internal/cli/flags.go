package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/memlimit"
	"github.com/platformc/platformc/internal/view"
)

// commonFlags are the flags of every command that evaluates the platform.
type commonFlags struct {
	workers  int
	quiet    bool
	noCache  bool
	cacheDir string
	timeout  time.Duration
	memory   memoryFlag
}

// DefaultTimeout bounds an evaluation unless --timeout says otherwise:
// generous for thousands of clusters, short of a CI job hanging for hours.
const DefaultTimeout = 10 * time.Minute

func (f *commonFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVarP(&f.workers, "jobs", "j", 0, "cluster directories evaluated at once (default: the number of CPUs)")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print no progress or summary on stderr")
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "evaluate every cluster, neither reading nor writing the build cache")
	cmd.Flags().StringVar(&f.cacheDir, "cache-dir", "", "build cache directory (default: $PLATFORMC_CACHE, else platformc/ in the user cache directory)")
	cmd.Flags().Var(&f.memory, "max-memory", "stop, writing nothing, if evaluating takes more memory than this, such as 6GiB (default: three quarters of the machine's or container's memory; 0: no limit)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", DefaultTimeout, "give up, writing nothing, if evaluating, or waiting for another run writing the same directory, takes longer than this (0: no limit)")
}

// dirHelp documents what the commands that read or write an output
// directory share.
const dirHelp = `DIR may not be the platform module, a parent of it, / or anything inside a
.git directory, symlinks resolved (exit 2, before anything is evaluated).
platformc keeps a lock in DIR/.platformc/, which tells git to ignore it, and,
while it moves files, a journal: a second run on DIR waits for the first (at
most --timeout), and what a run killed midway (SIGKILL, a power loss) had
moved is rolled back by the next build, docs, --check or diff on DIR, which
says so. SIGINT, SIGTERM and SIGHUP roll back what was moved before exiting
with status 128+signal (130, 143, 129).`

// patternArgs documents the patterns every such command takes.
const patternHelp = `PATTERN selects cluster directories as go and cue patterns do: ./clusters/...
(every cluster, the default), ./clusters/prod/... (one environment), or
./clusters/prod/edge-1 (one cluster's directory). Patterns are relative to the
current directory, which must be inside the platform module.`

// formatFlag is the -o flag of the commands that print data: text for
// people, json or yaml for scripts.
type formatFlag struct{ format view.Format }

func (f *formatFlag) String() string { return string(f.format) }
func (f *formatFlag) Type() string   { return "format" }
func (f *formatFlag) Set(s string) error {
	if !slices.Contains(view.Formats, view.Format(s)) {
		return fmt.Errorf("%q is not one of %s", s, formatNames())
	}
	f.format = view.Format(s)
	return nil
}

func (f *formatFlag) register(cmd *cobra.Command) {
	f.format = view.Text
	cmd.Flags().VarP(f, "output", "o", "print as "+formatNames())
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return formats(), cobra.ShellCompDirectiveNoFileComp
	})
}

func formats() []string {
	var names []string
	for _, f := range view.Formats {
		names = append(names, string(f))
	}
	return names
}

// formatNames is "text, json or yaml".
func formatNames() string {
	names := formats()
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// memoryFlag is --max-memory: a size, unset for memlimit.Default.
type memoryFlag struct {
	set   bool
	limit uint64
}

func (m *memoryFlag) String() string {
	if !m.set {
		return ""
	}
	return memlimit.Size(m.limit)
}
func (m *memoryFlag) Type() string { return "size" }
func (m *memoryFlag) Set(s string) error {
	n, err := memlimit.Parse(s)
	if err != nil {
		return err
	}
	m.set, m.limit = true, n
	return nil
}

// bytes is the limit: the flag's, else the default.
func (m *memoryFlag) bytes() uint64 {
	if m.set {
		return m.limit
	}
	return memlimit.Default()
}
