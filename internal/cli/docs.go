package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/render"
)

type docsFlags struct {
	commonFlags
	out   string
	check bool
}

func newDocsCmd() *cobra.Command {
	var f docsFlags
	cmd := &cobra.Command{
		Use:   "docs [PATTERN...] [-o DIR]",
		Short: "Write Markdown documentation of the platform for the teams using it",
		Long: `Docs writes the platform's documentation as Markdown into DIR:

  README.md              every bundle; which bundles each selected cluster
                         enables (a cluster × bundle matrix); a Mermaid
                         flowchart of control planes → clusters → bundles,
                         which GitHub and GitLab draw
  bundles/<bundle>.md    a bundle: description, requirements, the clusters
                         that enable it, and the table of its apps
                         (application, category, chart version, the bundle
                         version that first shipped it, namespace)

Every page starts with "<!-- ` + render.GeneratedMark + ` -->"
and its bytes depend only on the platform. As with build, only pages with
that line are platformc's: stale ones are removed, files without it are
never changed, and nothing is written unless the whole platform evaluates.
Give docs a directory of its own, or one shared only with hand-written files.

` + dirHelp + `

` + patternHelp + `

Exit status: 0 written (or up to date with --check), 1 errors in the
platform or writing failed, 2 wrong command line, 3 --check found DIR out
of date, 128+signal stopped by a signal.`,
		Example: `  platformc docs -o docs                    # write ./docs
  platformc docs --check -o docs            # in CI: exit 3 if docs/ is out of date`,
		ValidArgsFunction: completeDirs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := outDir(cmd, f.out, "docs")
			if err != nil {
				return err
			}
			c, err := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: args, Placeholders: true})
			if err != nil {
				return err
			}
			p := c.Platform
			pages := render.Docs(p)
			for _, page := range pages {
				if name, ok := sessionOf(cmd).redactor.Find(page.Data); ok {
					return &exitError{code: ExitPlatform, msg: fmt.Sprintf("secret %s would be written into %s: secrets may reach only apps' values files; nothing was written", name, page.Path)}
				}
			}
			plan, err := writeDir(cmd, out, render.MarkdownHeader, pages, f.check, true, nil, f.timeout)
			if err != nil || f.quiet {
				return err
			}
			add, update, remove := plan.Counts()
			if f.check {
				fmt.Fprintf(cmd.ErrOrStderr(), "%s is up to date: %d pages\n", out, plan.Unchanged)
				return nil
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "documented %d bundle%s and %d cluster%s in %s: %d pages written, %d unchanged, %d removed\n",
				len(p.Bundles), plural(len(p.Bundles)), len(p.Clusters), plural(len(p.Clusters)), out, add+update, plan.Unchanged, remove)
			return nil
		},
	}
	f.commonFlags.register(cmd)
	cmd.Flags().StringVarP(&f.out, "out", "o", "docs", "directory to write the pages into, relative to the working directory (default: docs at the module root)")
	cmd.Flags().BoolVar(&f.check, "check", false, "write nothing; list what would change and exit 3 if anything would")
	return cmd
}
