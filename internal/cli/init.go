package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
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
left alone, and one in the way is an error. Where a schema changes how the
clusters package joins the bundles to a cluster (schema v3 did), it also
rewrites that wiring if it has the shape init wrote: #catalog and values in
clusters/clusters.cue, #cluster in bundles/bundles.cue; the bundles
themselves are not changed. If it does not find the wiring, it says so.

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
	cmd.Flags().BoolVar(&f.upgrade, "upgrade-schema", false, "rewrite only schema/ with this platformc's schema (and the wiring a new schema changes)")
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
	wiring, notes, err := wiringUpgrades(root)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: err.Error() + "; nothing was changed"}
	}
	for _, op := range plan.Ops {
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s/%s\n", op.Change, load.SchemaDir, op.Path)
	}
	for _, w := range wiring {
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s/%s\n", output.Update, w.dir, w.file.Path)
	}
	if err := d.Apply(cmd.Context(), plan); err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	if err := rewriteWiring(cmd, root, wiring); err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	for _, n := range notes {
		fmt.Fprintf(stderr, "platformc: %s\n", n)
	}
	if quiet {
		return nil
	}
	add, update, remove := plan.Counts()
	if len(plan.Ops) == 0 && len(wiring) == 0 {
		fmt.Fprintf(stderr, "%s/ is schema %s already: %d files unchanged\n", load.SchemaDir, schema.Version, plan.Unchanged)
		return nil
	}
	if len(wiring) > 0 {
		var names []string
		for _, w := range wiring {
			names = append(names, w.dir+"/"+w.file.Path)
		}
		fmt.Fprintf(stderr, "rewrote the wiring of the model for schema %s: %s\n", schema.Version, strings.Join(names, ", "))
	}
	fmt.Fprintf(stderr, "upgraded %s/ to schema %s: %d rewritten, %d added, %d removed, %d unchanged; run platformc vet\n",
		load.SchemaDir, schema.Version, update, add, remove, plan.Unchanged)
	return nil
}

// wiringFile is a file of the platform's own that an upgrade rewrites:
// its path in dir (clusters or bundles, relative to the module root).
type wiringFile struct {
	dir  string
	file output.Replacement
}

// wiringUpgrades reads the files of clusters/ and bundles/ (their top
// directories, where platformc init writes the wiring) and rewrites what
// the schema's version changed in them (scaffold.UpgradeClusters,
// scaffold.UpgradeBundles). A platform whose clusters wiring is neither
// the one platformc init wrote for an older schema nor the current one
// gets a note saying what to change by hand.
func wiringUpgrades(root string) (files []wiringFile, notes []string, err error) {
	v3 := false
	for _, dir := range []string{load.ClustersDir, load.BundlesDir} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || filepath.Ext(e.Name()) != ".cue" || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "_") {
				continue
			}
			rel := dir + "/" + e.Name()
			old, err := os.ReadFile(filepath.Join(root, dir, e.Name()))
			if err != nil {
				return nil, nil, err
			}
			var out []byte
			changed, isV3 := false, false
			if dir == load.ClustersDir {
				out, changed, isV3, err = scaffold.UpgradeClusters(rel, old)
			} else {
				out, changed, err = scaffold.UpgradeBundles(rel, old)
			}
			if err != nil {
				return nil, nil, err
			}
			v3 = v3 || isV3
			if changed {
				files = append(files, wiringFile{dir: dir, file: output.Replacement{Path: e.Name(), Old: old, New: out}})
			}
		}
	}
	if !v3 {
		notes = append(notes, fmt.Sprintf("%s/: found neither the wiring platformc init writes for an older schema nor schema %s's; "+
			"set #catalog and values in clusters: [Name=string]: C=(schema.#Cluster & {...}) by hand, as the README's model section shows", load.ClustersDir, schema.Version))
	}
	return files, notes, nil
}

// rewriteWiring applies the wiring's rewrites, each directory all or
// nothing through output.
func rewriteWiring(cmd *cobra.Command, root string, files []wiringFile) error {
	byDir := map[string][]output.Replacement{}
	var dirs []string
	for _, w := range files {
		if byDir[w.dir] == nil {
			dirs = append(dirs, w.dir)
		}
		byDir[w.dir] = append(byDir[w.dir], w.file)
	}
	for _, dir := range dirs {
		d, done, err := openDir(cmd, filepath.Join(root, dir), false, 0)
		if err != nil {
			return err
		}
		plan, err := d.PlanReplace(byDir[dir])
		if err == nil {
			err = d.Apply(cmd.Context(), plan)
		}
		done()
		if errors.Is(err, context.Canceled) {
			return err
		}
		if err != nil {
			return &exitError{code: ExitPlatform, msg: err.Error()}
		}
	}
	return nil
}
