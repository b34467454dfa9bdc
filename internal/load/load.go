// Package load finds a platform's CUE module and loads, with cue/load, the
// packages a build needs: the schema, the platform defaults, the bundles and
// the cluster directories the user's patterns select.
package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
)

// Config says where and what to load.
type Config struct {
	// Dir is the directory patterns are relative to; the module root is
	// found from it. Empty means the current directory.
	Dir string
	// Patterns select cluster directories, as cue and go do: ./clusters/...,
	// ./clusters/prod/..., ./clusters/dev/alpha. Empty means DefaultPattern.
	Patterns []string
	// Overlay replaces or adds files by absolute path (tests, fuzzing).
	Overlay map[string]cueload.Source
}

// Platform is what a build evaluates: the parsed instances, not yet
// evaluated.
type Platform struct {
	// Root is the absolute module root; positions are reported relative to it.
	Root string
	// Schema is the platform's copy of the schema, for its version.
	Schema   *build.Instance
	Platform *build.Instance
	Bundles  *build.Instance
	// Clusters are the selected cluster directories that declare clusters,
	// sorted by directory.
	Clusters []*ClusterDir
}

// ClusterDir is one loaded directory of the clusters package and the
// clusters its own files declare.
type ClusterDir struct {
	Instance *build.Instance
	// Declared are the clusters declared in files of this directory (not of
	// its parents), sorted by name.
	Declared []Declared
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

// Declared is a cluster declaration: clusters: <name>: {...}.
type Declared struct {
	Name string
	Pos  token.Pos
}

// UsageError is a mistake in the command line rather than in the platform:
// a pattern outside the module or naming no directory.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Load loads the platform for the given patterns. A platform error is
// returned as a cue/errors list with positions, with a Platform that has
// only Root set; a bad pattern as *UsageError.
func Load(cfg Config) (*Platform, error) {
	dir := cfg.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root, err := ModuleRoot(dir, cfg.Overlay)
	if err != nil {
		return nil, err
	}
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{DefaultPattern}
	}
	args, err := clusterArgs(root, dir, patterns, cfg.Overlay)
	if err != nil {
		return nil, err
	}
	fixed := []string{"./" + SchemaDir, "./" + PlatformDir, "./" + BundlesDir}
	for _, d := range []string{SchemaDir, PlatformDir, BundlesDir} {
		if !isDir(filepath.Join(root, d), cfg.Overlay) {
			return nil, fmt.Errorf("%s: no %s/ directory: a platform module has schema/, platform/, bundles/ and clusters/ (platformc init makes one)", root, d)
		}
	}
	lcfg := &cueload.Config{Dir: root, ModuleRoot: root, Overlay: cfg.Overlay}
	insts := cueload.Instances(append(fixed, args...), lcfg)
	var errs cueerrors.Error
	for _, inst := range insts {
		if inst.Err != nil {
			errs = cueerrors.Append(errs, inst.Err)
		}
	}
	if errs != nil {
		return &Platform{Root: root}, errs
	}
	p := &Platform{Root: root, Schema: insts[0], Platform: insts[1], Bundles: insts[2]}
	seen := map[string]bool{}
	for _, inst := range insts[len(fixed):] {
		if seen[inst.Dir] {
			continue // two patterns selecting the same directory
		}
		seen[inst.Dir] = true
		if inst.PkgName != "clusters" {
			errs = cueerrors.Append(errs, cueerrors.Newf(token.NoPos,
				"%s: package %s: directories under clusters/ hold package clusters",
				rel(root, inst.Dir), inst.PkgName))
			continue
		}
		if d := declared(inst); len(d) > 0 {
			p.Clusters = append(p.Clusters, &ClusterDir{Instance: inst, Declared: d})
		}
	}
	if errs != nil {
		return &Platform{Root: root}, errs
	}
	slices.SortFunc(p.Clusters, func(a, b *ClusterDir) int { return strings.Compare(a.Instance.Dir, b.Instance.Dir) })
	return p, nil
}

// ModuleRoot walks up from dir to the directory holding cue.mod.
func ModuleRoot(dir string, overlay map[string]cueload.Source) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if isDir(filepath.Join(d, "cue.mod"), overlay) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", &UsageError{Msg: fmt.Sprintf("%s: not inside a CUE module (no cue.mod directory here or above); run platformc in a platform repo, or create one with platformc init", dir)}
		}
	}
}

// clusterArgs checks the user's patterns and makes them relative to root,
// where cue/load resolves them.
func clusterArgs(root, dir string, patterns []string, overlay map[string]cueload.Source) ([]string, error) {
	clustersRoot := filepath.Join(root, ClustersDir)
	var args []string
	for _, pat := range patterns {
		base, recursive := strings.CutSuffix(filepath.ToSlash(pat), "/...")
		if base == "..." {
			base, recursive = ".", true
		}
		if strings.Contains(base, "...") {
			return nil, &UsageError{Msg: fmt.Sprintf("pattern %q: ... is only allowed at the end, as in ./clusters/prod/...", pat)}
		}
		abs := filepath.Clean(filepath.Join(dir, filepath.FromSlash(base)))
		if filepath.IsAbs(base) {
			abs = filepath.Clean(base)
		}
		// A pattern at or above clusters/ means the clusters inside it.
		if r, err := filepath.Rel(abs, clustersRoot); err == nil && r != "." && !strings.HasPrefix(r, "..") && recursive {
			abs = clustersRoot
		}
		r, err := filepath.Rel(clustersRoot, abs)
		if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			return nil, &UsageError{Msg: fmt.Sprintf("pattern %q: not under %s; patterns select cluster directories, as in ./clusters/... or ./clusters/prod/edge-1", pat, rel(dir, clustersRoot))}
		}
		if !isDir(abs, overlay) {
			return nil, &UsageError{Msg: fmt.Sprintf("pattern %q: no such directory %s", pat, rel(dir, abs))}
		}
		arg := "./" + filepath.ToSlash(filepath.Join(ClustersDir, r))
		if recursive {
			arg += "/..."
		}
		args = append(args, arg)
	}
	return args, nil
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

func isDir(path string, overlay map[string]cueload.Source) bool {
	if fi, err := os.Stat(path); err == nil {
		return fi.IsDir()
	} else if !errors.Is(err, os.ErrNotExist) {
		return false
	}
	prefix := path + string(filepath.Separator)
	for name := range overlay {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

func rel(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil {
		return r
	}
	return path
}
