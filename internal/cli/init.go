package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/output"
	"github.com/platformc/platformc/internal/render"
	"github.com/platformc/platformc/internal/scaffold"
	"github.com/platformc/platformc/schema"
)

type initFlags struct {
	module  string
	upgrade bool
	quiet   bool
}

func newInitCmd() *cobra.Command {
	var f initFlags
	cmd := &cobra.Command{
		Use:   "init [DIR] --module PATH",
		Short: "Create a new platform repo, or upgrade its schema",
		Long: `Init writes a new platform into DIR (default: the current directory): a CUE
module named PATH (cue.mod/module.cue), the schema this platformc carries
(schema/), the platform defaults (platform/), one sample bundle, the clusters
wiring with one sample cluster per environment (clusters/), a pre-commit
configuration that runs platformc vet, and a README. The result passes
platformc vet and platformc build as it is.

Init writes only new files: if any of them exists, it writes nothing. Like
build, it writes through a journal in DIR/.platformc/ (which git ignores) and
refuses a DIR inside a .git directory.

With --upgrade-schema, init rewrites only the schema files of the platform
DIR is in, with the schema this platformc carries (schema ` + schema.Version + `), and lists
what it changed on stdout. The schema files are platformc's (they start with
"// ` + render.GeneratedMark + `"); a file of schema/ without that line is
left alone, and one in the way is an error.

Exit status: 0 written, 1 a file is in the way (nothing was written),
2 wrong command line, 128+signal stopped by a signal.`,
		Example: `  platformc init platform --module corp.example/platform   # a new platform in ./platform
  platformc init --upgrade-schema                           # after installing a newer platformc`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if f.upgrade {
				if f.module != "" {
					return usageErr(fmt.Errorf("--module and --upgrade-schema do not go together: an upgrade keeps the module"))
				}
				return upgradeSchema(cmd, dir, f.quiet)
			}
			return initPlatform(cmd, dir, &f)
		},
	}
	cmd.Flags().StringVar(&f.module, "module", "", "CUE module path of the new platform, e.g. corp.example/platform")
	cmd.Flags().BoolVar(&f.upgrade, "upgrade-schema", false, "rewrite only schema/ with this platformc's schema")
	cmd.Flags().BoolVarP(&f.quiet, "quiet", "q", false, "print nothing on success")
	return cmd
}

func initPlatform(cmd *cobra.Command, dir string, f *initFlags) error {
	if f.module == "" {
		return usageErr(fmt.Errorf("--module is required: the CUE module path of the new platform, e.g. --module corp.example/platform"))
	}
	if err := scaffold.CheckModule(f.module); err != nil {
		return usageErr(fmt.Errorf("--module: %w", err))
	}
	if err := outDirError(dir, output.CheckDir(dir, ""), "create the platform in a directory of its own"); err != nil {
		return err
	}
	files, err := scaffold.Files(f.module)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	stderr := cmd.ErrOrStderr()
	notify := func(msg string) { fmt.Fprintf(stderr, "platformc: %s\n", msg) }
	if err := output.Create(cmd.Context(), dir, files, output.Options{Notify: notify}); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	if !f.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "created platform %s in %s: %d files, schema %s; next: cd %s && platformc vet\n",
			f.module, dir, len(files), schema.Version, dir)
	}
	return nil
}

// upgradeSchema rewrites the schema files of the platform dir is in.
func upgradeSchema(cmd *cobra.Command, dir string, quiet bool) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return usageErr(err)
	}
	root, err := load.ModuleRoot(abs)
	if err != nil {
		return err
	}
	files := scaffold.Schema()
	for i := range files {
		// Planned inside schema/, so that only its files are platformc's.
		rel, _ := filepath.Rel(load.SchemaDir, filepath.FromSlash(files[i].Path))
		files[i].Path = filepath.ToSlash(rel)
	}
	d, done, err := openDir(cmd, filepath.Join(root, load.SchemaDir), false, 0)
	if err != nil {
		return err
	}
	defer done()
	plan, err := d.Plan(render.CUEHeader, files, true)
	var cerr *output.ConflictError
	if errors.As(err, &cerr) {
		var names []string
		for _, p := range cerr.Paths {
			names = append(names, load.SchemaDir+"/"+p)
		}
		return &exitError{code: ExitPlatform, msg: fmt.Sprintf(
			"%s: not written by platformc init (no %q line), so --upgrade-schema does not replace them; if they are an older platformc's schema, delete them and run it again. Nothing was changed",
			strings.Join(names, ", "), strings.TrimSpace(render.CUEHeader))}
	}
	if err != nil {
		return &exitError{code: ExitPlatform, msg: err.Error() + "; nothing was changed"}
	}
	for _, op := range plan.Ops {
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s/%s\n", op.Change, load.SchemaDir, op.Path)
	}
	if err := d.Apply(cmd.Context(), plan); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	if quiet {
		return nil
	}
	add, update, remove := plan.Counts()
	if len(plan.Ops) == 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "%s/ is schema %s already: %d files unchanged\n", load.SchemaDir, schema.Version, plan.Unchanged)
		return nil
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "upgraded %s/ to schema %s: %d rewritten, %d added, %d removed, %d unchanged; run platformc vet\n",
		load.SchemaDir, schema.Version, update, add, remove, plan.Unchanged)
	return nil
}
