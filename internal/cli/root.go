// Package cli holds platformc's commands: one file per command, each
// parsing its flags and calling one function of the internal packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/interrupt"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/output"
	"github.com/platformc/platformc/internal/redact"
)

// Exit codes scripts can rely on. A run stopped by SIGINT, SIGTERM or
// SIGHUP exits 128+signal (130, 143, 129) once it has undone what it was
// writing.
const (
	ExitOK       = 0
	ExitPlatform = 1 // the platform has errors (CUE, policy, conflicts), or writing failed
	ExitUsage    = 2 // the command line is wrong
	ExitDrift    = 3 // --check found the output out of date
)

// Main runs platformc on the process's arguments and returns its exit code.
func Main() int {
	tuneGC()
	ctx, stop := interrupt.Context(context.Background())
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// tuneGC trades some memory for time unless GOGC says otherwise:
// evaluating CUE allocates much short-lived memory, and collecting less
// often saves about a sixth of a build's CPU (GOGC=300 against 150: 6.9 s
// against 7.6 s for a cold build of 1,000 clusters, docs/performance.md).
// The soft memory limit that keeps the heap from growing to four times
// what is live follows the live heap (memlimit.Watch) rather than being
// fixed: on a platform whose live heap is above a fixed one, the collector
// runs without pause (3000 clusters took ten times as long under 384 MiB).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(300)
	}
}

// Run runs platformc with args, writing data to stdout and messages to
// stderr, and returns the exit code. Every byte goes through one redactor,
// which learns the secrets the platform reads (see internal/redact).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return execute(ctx, newRootCmd(), args, stdout, stderr)
}

// execute runs root, as Run does.
func execute(ctx context.Context, root *cobra.Command, args []string, stdout, stderr io.Writer) (code int) {
	r := redact.New(nil)
	s := &session{redactor: r, stdout: redact.NewWriter(stdout, r)}
	// Messages are shown line by line (a wait for a lock, progress);
	// the secrets are learnt before the first message that could hold one.
	errw := redact.NewLineWriter(stderr, r)
	defer func() {
		// A bug must not print a secret either: the panic and its stack go
		// through the redactor, rather than raw to the terminal.
		if p := recover(); p != nil {
			_ = s.stdout.Flush()
			fmt.Fprintf(errw, "platformc: internal error: %v; please report it\n%s", p, debug.Stack())
			_ = errw.Flush()
			code = ExitPlatform
		}
	}()
	root.SetArgs(args)
	root.SetOut(s.stdout)
	root.SetErr(errw)
	cmd, err := root.ExecuteContextC(context.WithValue(ctx, sessionKey{}, s))
	code = report(cmd, err, errw)
	// Data first, then what is said about it.
	if err := s.stdout.Flush(); err != nil && code == ExitOK {
		code = ExitPlatform
	}
	if sig, ok := interrupt.Signal(ctx); ok {
		if code == ExitOK {
			fmt.Fprintf(errw, "platformc: interrupted (%s) after the command had finished\n", sig)
		}
		code = interrupt.ExitCode(sig)
	}
	_ = errw.Flush()
	return code
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "platformc",
		Short: "Compile a Kubernetes platform written in CUE",
		Long: `platformc compiles a platform written in CUE (clusters, bundles of Helm apps,
defaults) into what ArgoCD and Tanzu deploy: the per-cluster Helm values of
every app, the ArgoCD ApplicationSets and cluster registrations, and the
TanzuKubernetesClusters, all from one definition so that they agree.

It is run at the root of a platform repo: a CUE module with the directories
schema/, platform/, bundles/ and clusters/.`,
		Example: `  platformc vet                                   # check every cluster (pre-commit)
  platformc build ./clusters/... -o out           # write the values of every cluster to out/
  platformc build --check -o ../values-repo       # exit 3 if the values repo is out of date`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// --version prints what platformc version prints.
		Version: versionString(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	prof := registerProfileFlags(root)
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return prof.start() }
	root.PersistentPostRunE = func(*cobra.Command, []string) error { return prof.stop() }
	root.AddCommand(newBuildCmd(), newVetCmd(), newDiffCmd(), newImpactCmd(), newAppsCmd(), newJoinCmd(), newListCmd(), newShowCmd(), newDocsCmd(), newInitCmd(), newCleanCmd(), newVersionCmd())
	root.AddCommand(newHelpTopics()...)
	// cobra adds its completion command when it runs; made now, it can
	// have an example like every other command.
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err == nil && c != root {
		c.Example = `  source <(platformc completion bash)                  # bash, in this shell
  platformc completion zsh > "${fpath[1]}/_platformc"  # zsh, in every new shell`
		// Without a shell, or with an unknown one, it is a usage error
		// (cobra prints its help and exits 0).
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error { return whatError(cmd, args) }
	}
	root.SetHelpCommand(newHelpCmd())
	return root
}

// platformError carries the errors found in a platform, reported with
// their positions relative to the module root.
type platformError struct {
	root string
	err  error
}

func (e *platformError) Error() string { return e.err.Error() }

// exitError ends a command with a code and, if msg is set, a message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }

func usageErr(err error) error { return &usageError{err: err} }

// report prints err the way its kind asks and returns the exit code.
func report(cmd *cobra.Command, err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}
	var (
		perr *platformError
		terr *timeoutError
		xerr *exitError
		uerr *usageError
		lerr *load.UsageError
	)
	switch {
	case errors.As(err, &perr):
		diag.Print(stderr, perr.err, perr.root)
		n := diag.Count(perr.err, perr.root)
		fmt.Fprintf(stderr, "platformc: %d error%s\n", n, plural(n))
		return ExitPlatform
	case errors.As(err, &terr):
		if terr.pending != nil {
			diag.Print(stderr, terr.pending, terr.root)
		}
		fmt.Fprintf(stderr, "platformc: %s; nothing was written (raise --timeout, or set it to 0 for no limit)\n", terr.Error())
		return ExitPlatform
	case errors.As(err, &xerr):
		if xerr.msg != "" {
			fmt.Fprintf(stderr, "platformc: %s\n", xerr.msg)
		}
		return xerr.code
	case errors.As(err, &lerr), errors.As(err, &uerr):
		printUsageError(cmd, err, stderr)
		return ExitUsage
	case errors.Is(err, context.Canceled):
		// Interrupted while writing, the error says what was undone.
		msg := "interrupted; nothing was written"
		if errors.As(err, new(*output.InterruptedError)) {
			msg = err.Error()
		}
		fmt.Fprintf(stderr, "platformc: %s\n", msg)
		return ExitPlatform
	default:
		// Errors cobra finds while parsing (unknown command, bad
		// arguments) are usage errors; ours are all typed above.
		printUsageError(cmd, err, stderr)
		return ExitUsage
	}
}

func printUsageError(cmd *cobra.Command, err error, stderr io.Writer) {
	fmt.Fprintf(stderr, "platformc: %s\n", err)
	if cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
