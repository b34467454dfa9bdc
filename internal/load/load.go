// Package load finds a platform's CUE module, the cluster directories the
// user's patterns select and the inputs each depends on (Scan), and loads,
// with cue/load, the packages a build evaluates (Load).
package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	cueload "cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
)

// DefaultPattern selects every cluster of the platform.
const DefaultPattern = "./clusters/..."

// Fixed directories of a platform module, relative to its root.
const (
	SchemaDir   = "schema"
	PlatformDir = "platform"
	BundlesDir  = "bundles"
	ClustersDir = "clusters"
	// WiringFile, in ClustersDir, is where the clusters package reads the
	// platform and the bundles.
	WiringFile = "clusters.cue"
)

// Platform is what a build evaluates: the parsed instances, not yet
// evaluated.
type Platform struct {
	// Root is the absolute module root; positions are reported relative to it.
	Root string
	// Schema is the platform's copy of the schema, for its version.
	Schema   *build.Instance
	Platform *build.Instance
	Bundles  *build.Instance
	// Clusters are the loaded cluster directories, in the order asked for.
	Clusters []*ClusterDir
	// Secrets are the values of the @tag(NAME) fields: to be redacted
	// wherever platformc prints something.
	Secrets *Secrets
}

// Options say how to load.
type Options struct {
	// Env looks up the variables @tag(NAME) fields read; nil means
	// os.LookupEnv.
	Env Env
	// Placeholders lets a field read a variable that is not set: it is
	// evaluated with a placeholder. For the commands that write or compare
	// no values file; without it, such a variable is an error.
	Placeholders bool
}

// Names returns the names of the clusters declared in p's directories,
// sorted, each once.
func (p *Platform) Names() []string {
	var names []string
	for _, d := range p.Clusters {
		for _, c := range d.Declared {
			names = append(names, c.Name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Declaring returns the directories of p that declare cluster name: one,
// unless the name is declared twice (an error the evaluation reports).
func (p *Platform) Declaring(name string) []*ClusterDir {
	var dirs []*ClusterDir
	for _, d := range p.Clusters {
		if slices.ContainsFunc(d.Declared, func(c Declared) bool { return c.Name == name }) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// ClusterDir is one loaded directory of the clusters package and the
// clusters its own files declare.
type ClusterDir struct {
	Instance *build.Instance
	// Declared are the clusters declared in files of this directory (not of
	// its parents), sorted by name; none for a directory of defaults.
	Declared []Declared
	// Only, if set, are the apps whose values alone are to be evaluated:
	// the wiring of Instance reads from the bundles only theirs, and
	// everything else of its clusters comes from the build cache.
	Only map[string]bool
	// Shared, if set, are the apps whose values are evaluated once per
	// distinct input rather than in each cluster (eval.Shared): the
	// wiring of Instance leaves them out.
	Shared map[string]bool
}

// Declared is a cluster declaration: clusters: <name>: {...}.
type Declared struct {
	Name string
	Pos  token.Pos
}

// UsageError is a mistake in the command line rather than in the platform:
// a pattern outside the module or naming no directory.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Load loads, with cue/load, the platform defaults, the bundles and the
// given cluster directories (absolute, as Scan finds them) of the module at
// root, which Scan has checked has the directories of a platform. A
// platform error is returned as a cue/errors list with positions; a
// regular top-level field other than the package's own (platform, bundles,
// clusters) is one.
func Load(root string, dirs []string, opts Options) (*Platform, error) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	args := []string{"./" + SchemaDir, "./" + PlatformDir, "./" + BundlesDir}
	const fixed = 3
	for _, d := range dirs {
		r, err := filepath.Rel(root, d)
		if err != nil {
			return nil, err
		}
		args = append(args, "./"+filepath.ToSlash(r))
	}
	fsys, err := openModule(root)
	if err != nil {
		return nil, err
	}
	cfg := &cueload.Config{Dir: root, ModuleRoot: root, Registry: offline{}}
	insts, err := instances(fsys, args, cfg)
	if err != nil {
		return nil, err
	}
	// Secrets: fields with @tag(NAME) take the environment variable NAME,
	// injected by cue/load as it injects cue's -t NAME=value. The tags are
	// known only once the files are parsed: load again with their values.
	secrets, tags, err := secretsOf(insts, opts.Env, opts.Placeholders)
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		cfg.Tags = tags
		if insts, err = instances(fsys, args, cfg); err != nil {
			return nil, err
		}
	}
	if err := confine(fsys, insts); err != nil {
		return nil, err
	}
	withPlaceholders(insts, secrets)
	var errs cueerrors.Error
	checked := map[string]bool{}
	p := &Platform{Root: root, Schema: insts[0], Platform: insts[1], Bundles: insts[2], Secrets: secrets}
	errs = cueerrors.Append(errs, topLevelFields(p.Platform, "platform", "platform: schema.#Platform & {...}", nil, checked))
	errs = cueerrors.Append(errs, topLevelFields(p.Bundles, "bundles", "bundles: <name>: {...}", nil, checked))
	for _, inst := range insts[fixed:] {
		if inst.PkgName != "clusters" {
			for _, f := range inst.Files {
				if filepath.Dir(f.Filename) == inst.Dir {
					errs = cueerrors.Append(errs, cueerrors.Newf(packagePos(fsys, f.Filename),
						"package %s: directories under clusters/ hold package clusters", inst.PkgName))
					break
				}
			}
			continue
		}
		errs = cueerrors.Append(errs, topLevelFields(inst, "clusters", "clusters: <name>: {...}", clusterDecls, checked))
		p.Clusters = append(p.Clusters, &ClusterDir{Instance: inst, Declared: declared(inst)})
	}
	if errs != nil {
		return nil, errs
	}
	return p, nil
}

// instances runs cue/load and gathers the errors of every instance, each
// reported once and with a position where one can be found.
func instances(fsys *moduleFS, args []string, cfg *cueload.Config) ([]*build.Instance, error) {
	insts := cueload.Instances(args, cfg)
	var errs cueerrors.Error
	reported := map[string]bool{}
	for _, inst := range insts {
		if inst.Err != nil {
			errs = cueerrors.Append(errs, positioned(fsys, inst.Err, reported))
		}
	}
	if errs != nil {
		return nil, errs
	}
	return insts, nil
}

// Selected loads, without a cache, every cluster directory cfg's patterns
// select: Scan, then Load.
func Selected(cfg Config) (*Platform, error) {
	in, err := Scan(cfg)
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(in.Dirs))
	for i, d := range in.Dirs {
		dirs[i] = d.Dir
	}
	return Load(in.Root, dirs, Options{})
}

// positioned gives cue/load's errors that have no position one where it
// can, and reports each error once: an error in package bundles comes back
// from every cluster directory that imports it, wrapped (as "import
// failed") around the error itself, which is what is reported. seen holds
// the errors already reported.
func positioned(fsys *moduleFS, err error, seen map[string]bool) cueerrors.Error {
	var out cueerrors.Error
	for _, e := range cueerrors.Errors(err) {
		var inner cueerrors.Error
		if errors.As(errors.Unwrap(e), &inner) {
			out = cueerrors.Append(out, positioned(fsys, inner, seen))
			continue
		}
		var multi *cueload.MultiplePackageError
		if errors.As(e, &multi) && len(multi.Files) > 1 {
			e = multiplePackages(fsys, multi)
		}
		key := fmt.Sprint(e.Position(), "\x00", e.Error())
		if seen[key] {
			continue
		}
		seen[key] = true
		out = cueerrors.Append(out, e)
	}
	return out
}

// ModuleRoot walks up from dir to the directory holding cue.mod. A
// cue.mod that is a symlink is found, for Scan to refuse; one that cannot
// be looked at stops the search rather than find a module further up.
func ModuleRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Lstat(filepath.Join(d, "cue.mod"))
		switch {
		case err == nil && (fi.IsDir() || fi.Mode().Type() == fs.ModeSymlink):
			return d, nil
		case err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return "", fmt.Errorf("looking for the CUE module from %s: %w", dir, err)
		}
		if filepath.Dir(d) == d {
			return "", &UsageError{Msg: fmt.Sprintf("%s: not inside a CUE module (no cue.mod directory here or above); run platformc in a platform repo, or create one with platformc init", dir)}
		}
	}
}

// declared lists the clusters declared in the files of the instance's own
// directory, from the parsed syntax: a top-level clusters field with
// literal names. Pattern fields ([_]: ...) are defaults, not clusters.
func declared(inst *build.Instance) []Declared {
	byName := map[string]token.Pos{}
	for _, f := range inst.Files {
		if filepath.Dir(f.Filename) != inst.Dir {
			continue
		}
		for _, decl := range f.Decls {
			field, ok := decl.(*ast.Field)
			if !ok {
				continue
			}
			if name, _, err := ast.LabelName(field.Label); err != nil || name != "clusters" {
				continue
			}
			st, ok := field.Value.(*ast.StructLit)
			if !ok {
				continue
			}
			for _, elt := range st.Elts {
				cf, ok := elt.(*ast.Field)
				if !ok {
					continue
				}
				name, _, err := ast.LabelName(cf.Label)
				if err != nil {
					continue
				}
				if _, dup := byName[name]; !dup {
					byName[name] = cf.Label.Pos()
				}
			}
		}
	}
	var out []Declared
	for name, pos := range byName {
		out = append(out, Declared{Name: name, Pos: pos})
	}
	slices.SortFunc(out, func(a, b Declared) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil {
		return r
	}
	return path
}
