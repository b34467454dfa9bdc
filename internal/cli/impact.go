package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/gitrev"
	"github.com/platformc/platformc/internal/impact"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/render"
)

type impactFlags struct {
	commonFlags
	against  string
	format   impactFormat
	exitCode bool
}

func newImpactCmd() *cobra.Command {
	var f impactFlags
	cmd := &cobra.Command{
		Use:   "impact --against REF [PATTERN...] [-o text|json|markdown] [--exit-code]",
		Short: "Show what a change does to which clusters, compared with a git revision",
		Long: `Impact evaluates the platform twice, as it is at the git revision REF and as
it is in the working tree, and compares what build would write for each: the
blast radius of a change, for the reviewers of a merge request. REF is read
from git's objects (the git binary must be installed); the working tree, the
index and the checkout are never touched. Both evaluations go through the
build cache, so that a cache kept from REF's own build serves REF.

It says which clusters change, per control plane and environment, and how:
the values of which apps, their registration, their TKC, their labels, the
Applications ArgoCD generates for them (computed as the apps command does);
which ApplicationSets change and on which clusters their Applications
appear, change or disappear; which clusters are added or removed. A change
to comments or formatting alone changes nothing.

-o text (the default) prints the summary, then one line per cluster; -o json
every changed file (path, change, kind, cluster, app, controlPlane) and the
same grouping, for scripts and bots; -o markdown a comment for a merge
request, with collapsed diffs of a sample of the changed files of each app,
kept under GitHub's limit for a comment. Secrets are read from the
environment, as build reads them, for both revisions, and are redacted
everywhere, the diffs included.

Errors in either revision are reported with their positions (relative to the
module root, as every command reports them), under a line naming the
revision.

` + patternHelp + ` With patterns, only the selected clusters' own files (values, registration,
TKC) are compared, as a partial build writes only those.

Exit status: 0 compared (with --exit-code: 0 only when nothing changes), 1
errors in either revision, 2 wrong command line (REF not a commit of the
repository, the module not at REF, not in a git repository), 3 with
--exit-code when something changes, 128+signal stopped by a signal.`,
		Example: `  platformc impact --against origin/main                     # what this branch changes
  platformc impact --against origin/main -o markdown > c.md  # a merge request comment
  platformc impact --against HEAD --exit-code                # exit 3 if uncommitted edits change anything`,
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImpact(cmd, args, &f)
		},
	}
	f.commonFlags.register(cmd)
	cmd.Flags().StringVar(&f.against, "against", "", "the git revision to compare with (a branch, tag or commit, such as origin/main)")
	f.format = impactText
	cmd.Flags().VarP(&f.format, "output", "o", "print as text, json or markdown")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return impactFormats, cobra.ShellCompDirectiveNoFileComp
	})
	cmd.Flags().BoolVar(&f.exitCode, "exit-code", false, "exit 3 if anything changes")
	return cmd
}

// impactFormat is impact's -o: json, as list's, and markdown rather than
// yaml.
type impactFormat string

const (
	impactText     impactFormat = "text"
	impactJSON     impactFormat = "json"
	impactMarkdown impactFormat = "markdown"
)

var impactFormats = []string{string(impactText), string(impactJSON), string(impactMarkdown)}

func (f *impactFormat) String() string { return string(*f) }
func (f *impactFormat) Type() string   { return "format" }
func (f *impactFormat) Set(s string) error {
	if !slices.Contains(impactFormats, s) {
		return fmt.Errorf("%q is not one of text, json or markdown", s)
	}
	*f = impactFormat(s)
	return nil
}

func runImpact(cmd *cobra.Command, patterns []string, f *impactFlags) error {
	if f.against == "" {
		return usageErr(errors.New("--against REF is required: the git revision to compare with, such as origin/main"))
	}
	revs, err := evaluateRevisions(cmd, f, patterns)
	if err != nil {
		return err
	}
	r, err := impact.Compare(revs.before, revs.after)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "impact: " + err.Error()}
	}
	r.Against, r.Commit, r.Complete = revs.commit.Ref, revs.commit.ID, revs.complete

	stdout := cmd.OutOrStdout()
	switch f.format {
	case impactJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(r)
	case impactMarkdown:
		err = r.Markdown(stdout, hideSecrets(sessionOf(cmd).redactor, slices.Concat(revs.after.Files, revs.before.Files)))
	default:
		err = r.Text(stdout)
	}
	if err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "impact against %s: %s, %d unchanged; clusters: working tree %d evaluated, %d from the cache; %s %d evaluated, %d from the cache\n",
			revs.commit, changes(len(r.Files)), r.Unchanged, revs.wt.Evaluated, revs.wt.Cached, revs.commit.Ref, revs.ref.Evaluated, revs.ref.Cached)
	}
	if f.exitCode && !r.Empty() {
		return &exitError{code: ExitDrift}
	}
	return nil
}

// revisions are the two sides impact compares.
type revisions struct {
	commit gitrev.Commit
	// wt and ref are the evaluations of the working tree and of REF
	// (empty if the patterns name no directory REF has).
	wt, ref *pipeline.Result
	// before and after are REF and the working tree, as compared.
	before, after impact.Revision
	// complete says that both selected every cluster.
	complete bool
}

// evaluateRevisions lists the module at REF, evaluates the working tree,
// then copies REF out of git into a temporary directory and evaluates it,
// both through compile, as every command evaluates. What git cannot give
// is a usage error, said before anything is evaluated; errors of either
// revision are reported under its name.
func evaluateRevisions(cmd *cobra.Command, f *impactFlags, patterns []string) (*revisions, error) {
	ctx := cmd.Context()
	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	root, err := load.ModuleRoot(cwd)
	if err != nil {
		return nil, err
	}
	repo, err := gitrev.Find(ctx, root)
	if err != nil {
		return nil, gitError(err)
	}
	commit, err := repo.Resolve(ctx, f.against)
	if err != nil {
		return nil, gitError(err)
	}
	snap, err := repo.Module(ctx, commit)
	if err != nil {
		return nil, gitError(err)
	}

	// The working tree first: a bad pattern is its usage error, and it
	// is scanned before REF's copy exists.
	wt, wtErr := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: patterns})
	if wtErr != nil && !isPlatformError(wtErr) {
		return nil, wtErr
	}
	// A name starting with "." is skipped by cue and by every scan, should
	// the temporary directory be inside the module.
	tmp, err := os.MkdirTemp("", ".platformc-impact-")
	if err != nil {
		return nil, &exitError{code: ExitPlatform, msg: err.Error()}
	}
	defer os.RemoveAll(tmp)
	if err := snap.Extract(ctx, tmp); err != nil {
		return nil, gitError(err)
	}
	rel, err := filepath.Rel(root, cwd)
	if err != nil {
		return nil, err
	}
	refDir := filepath.Join(tmp, rel)
	if err := os.MkdirAll(refDir, 0o755); err != nil {
		return nil, &exitError{code: ExitPlatform, msg: err.Error()}
	}
	ref := &pipeline.Result{}
	var refErr error
	refPats, selects := atRevision(patterns, cwd, root, tmp)
	if selects {
		// Whatever goes wrong at REF is reported under its name, with the
		// paths of its copy made the module's.
		ref, refErr = compile(cmd, &f.commonFlags, pipeline.Options{Dir: refDir, Patterns: refPats})
		if errors.Is(refErr, context.Canceled) {
			return nil, refErr
		}
	}
	if wtErr != nil || refErr != nil {
		return nil, revisionErrors(cmd, []failure{{"in the working tree", wtErr, ""}, {"at " + commit.String(), refErr, tmp}})
	}
	revs := &revisions{commit: commit, wt: wt, ref: ref, complete: wt.Complete && selects && ref.Complete}
	revs.before = impact.Revision{Name: "at " + commit.String(), Platform: ref.Platform, Files: written(ref, revs.complete)}
	revs.after = impact.Revision{Name: "in the working tree", Platform: wt.Platform, Files: written(wt, revs.complete)}
	return revs, nil
}

// changes is "1 file changes", "2 files change".
func changes(n int) string {
	if n == 1 {
		return "1 file changes"
	}
	return fmt.Sprintf("%d files change", n)
}

// written is what build writes for a revision: every file, or when either
// revision has a partial selection, the selected clusters' own files.
func written(res *pipeline.Result, complete bool) []render.File {
	if complete {
		return res.Files
	}
	return res.ClusterFiles
}

// atRevision maps the patterns, relative to cwd in the module at root, to
// the same directories of the module at REF in refRoot (relative ones stay
// as they are: REF is evaluated from the directory that mirrors cwd). A
// pattern naming a directory REF lacks selects nothing there and is
// dropped; ok is false when nothing is left (every selected cluster is
// new). No patterns stay no patterns: the default.
func atRevision(patterns []string, cwd, root, refRoot string) (_ []string, ok bool) {
	if len(patterns) == 0 {
		return nil, true
	}
	var out []string
	for _, pat := range patterns {
		slashed := filepath.ToSlash(pat)
		base, recursive := strings.CutSuffix(slashed, "/...")
		if base == "..." {
			base, recursive = ".", true
		}
		abs := filepath.Join(cwd, filepath.FromSlash(base))
		if filepath.IsAbs(base) {
			abs = filepath.Clean(base)
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			// Outside the module: the working tree refused it already.
			out = append(out, pat)
			continue
		}
		target := filepath.Join(refRoot, rel)
		if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
			continue
		}
		mapped := pat
		if filepath.IsAbs(base) {
			mapped = target
			if recursive {
				mapped += "/..."
			}
		}
		out = append(out, mapped)
	}
	return out, len(out) > 0
}

// failure is the outcome of evaluating one revision.
type failure struct {
	name string
	err  error
	// tmp is the directory the revision was read into, which messages
	// must not show: paths in it are the module's.
	tmp string
}

// revisionErrors reports the errors of each revision that has any under a
// line naming the revision, as every command reports them, and exits with
// the first one's code.
func revisionErrors(cmd *cobra.Command, failures []failure) error {
	stderr := cmd.ErrOrStderr()
	code := 0
	for _, fl := range failures {
		if fl.err == nil {
			continue
		}
		var buf bytes.Buffer
		c := report(cmd, fl.err, &buf)
		text := buf.String()
		if fl.tmp != "" {
			text = strings.ReplaceAll(text, fl.tmp+string(filepath.Separator), "")
			text = strings.ReplaceAll(text, fl.tmp, ".")
		}
		fmt.Fprintf(stderr, "platformc: errors %s:\n%s", fl.name, text)
		if code == 0 {
			code = c
		}
	}
	return &exitError{code: code}
}

// isPlatformError reports whether err is about the platform, to be reported
// with the revision that has it, rather than about the command line.
func isPlatformError(err error) bool {
	var (
		perr *platformError
		xerr *exitError
	)
	return errors.As(err, &perr) || (errors.As(err, &xerr) && xerr.code == ExitPlatform)
}

// gitError makes what gitrev cannot read a usage error (exit 2), and
// anything else an error reading REF (exit 1).
func gitError(err error) error {
	var uerr *gitrev.UsageError
	if errors.As(err, &uerr) {
		return usageErr(err)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &exitError{code: ExitPlatform, msg: "reading the revision: " + err.Error()}
}
