// Package scaffold makes the files of a new platform repo (platformc init)
// and the schema files platformc writes into one: pure functions from a
// module path to files, written by internal/output.
//
// The template is a platform in _template/ whose CUE imports its own
// packages as example.com/platform/...; Files rewrites those imports to the
// new module's path with cue/ast and cue/format. (A leading "_" keeps the
// template out of this repo's own CUE module and Go packages.)
package scaffold

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/mod/modfile"
	"cuelang.org/go/mod/module"

	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/render"
	"github.com/platformc/platformc/schema"
)

//go:embed all:_template
var template embed.FS

// templateModule is the module path the template's imports are written with.
const templateModule = "example.com/platform"

// CheckModule reports whether module is a valid CUE module path, such as
// corp.example/platform (with an optional major version, @v0).
func CheckModule(mpath string) error { return module.CheckPath(mpath) }

// Files returns every file of a new platform whose CUE module is mpath:
// cue.mod/module.cue, schema/ (see Schema), platform/, one sample bundle,
// the clusters wiring with one sample cluster per environment, a
// pre-commit configuration running platformc vet, and a README.
func Files(mpath string) ([]render.File, error) {
	if err := CheckModule(mpath); err != nil {
		return nil, err
	}
	modFile, err := modfile.Format(&modfile.File{
		Module:   mpath,
		Language: &modfile.Language{Version: cue.LanguageVersion()},
	})
	if err != nil {
		return nil, err
	}
	files := []render.File{{Path: "cue.mod/module.cue", Data: modFile}, {Path: ".gitignore", Data: []byte(gitignore)}}
	files = append(files, Schema()...)
	base, _, ok := ast.SplitPackageVersion(mpath)
	if !ok {
		base = mpath
	}
	err = fs.WalkDir(template, "_template", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(template, p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "_template/")
		if path.Ext(rel) == ".cue" {
			if data, err = rewriteImports(rel, data, base); err != nil {
				return err
			}
		}
		files = append(files, render.File{Path: rel, Data: data})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// gitignore keeps what platformc writes into the repo itself out of git
// add -A: the build output and a build cache kept in the repository.
const gitignore = `# The build output (platformc build, diff, impact compare with ./out unless
# -o says otherwise; CI builds into a checkout of the values repo instead).
/out/
# A build cache kept in the repository, for PLATFORMC_CACHE=.cache.
/.cache/
`

// Schema returns the schema platformc was built with as the files of
// schema/, as this repository's schema/ holds them: each behind the
// generated header (they are platformc's, and platformc init
// --upgrade-schema replaces them; TestSchemaFilesHaveTheHeader keeps the
// header on). Paths are relative to the module root.
func Schema() []render.File {
	entries, err := fs.ReadDir(schema.FS, ".")
	if err != nil {
		panic(err) // embedded: cannot fail
	}
	var files []render.File
	for _, e := range entries {
		data, err := fs.ReadFile(schema.FS, e.Name())
		if err != nil {
			panic(err)
		}
		files = append(files, render.File{Path: path.Join(load.SchemaDir, e.Name()), Data: data})
	}
	return files
}

// rewriteImports makes the template's imports of its own packages imports
// of the new module's.
func rewriteImports(name string, src []byte, base string) ([]byte, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	for spec := range f.ImportSpecs() {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if rest, ok := strings.CutPrefix(p, templateModule+"/"); ok {
			spec.Path.Value = strconv.Quote(base + "/" + rest)
		}
	}
	return format.Node(f)
}

// IsWiring reports whether src, a module's clusters/clusters.cue, reads
// the platform and the bundles as the one platformc init writes does
// (comments and formatting aside): each cluster reads the bundles' catalog
// and the values of its enabled apps, nothing else of them. The build
// cache relies on it to key a cluster on the bundles it enables only.
func IsWiring(src []byte) bool {
	want, ok := wiringOf(src)
	return ok && sameSyntax(src, want)
}

// wiringOf returns the wiring platformc init writes for the module whose
// bundles package src imports, if src parses and imports one.
func wiringOf(src []byte) ([]byte, bool) {
	f, err := parser.ParseFile(path.Join(load.ClustersDir, load.WiringFile), src)
	if err != nil {
		return nil, false
	}
	base := ""
	for spec := range f.ImportSpecs() {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			return nil, false
		}
		if dir, ok := strings.CutSuffix(p, "/"+load.BundlesDir); ok {
			base = dir
		}
	}
	if base == "" {
		return nil, false
	}
	want, err := wiring(base)
	return want, err == nil
}

// WiringWithout returns the wiring src (which IsWiring must accept) with
// the comprehension that fills each enabled app's values skipping apps:
// their values are evaluated elsewhere (eval.Shared).
func WiringWithout(src []byte, apps []string) ([]byte, error) {
	if len(apps) == 0 {
		return nil, fmt.Errorf("no apps to leave out")
	}
	return wiringIf(src, without(apps))
}

// WiringOnlyWithout returns the wiring src (which IsWiring must accept)
// with the values of only the apps of the given bundles read from the
// bundles, but apps (none if empty), which WiringWithout leaves out: what a
// build evaluates for a cluster whose other apps' values it has from the
// build cache. The other apps keep what the cluster's own files set, to be
// ignored. The lines are those of src's template, so that positions in it
// stay near the same places.
func WiringOnlyWithout(src []byte, bundles, apps []string) ([]byte, error) {
	if len(bundles) == 0 {
		return nil, fmt.Errorf("no bundles to read")
	}
	var conds []string
	for _, b := range bundles {
		conds = append(conds, "b == "+strconv.Quote(b))
	}
	cond := strings.Join(conds, " || ")
	if len(apps) > 0 {
		cond = "(" + cond + ") && " + without(apps)
	}
	return wiringIf(src, cond)
}

func without(apps []string) string {
	var conds []string
	for _, a := range apps {
		conds = append(conds, "a != "+strconv.Quote(a))
	}
	return strings.Join(conds, " && ")
}

// wiringIf is the wiring src with the values comprehension guarded by
// cond.
func wiringIf(src []byte, cond string) ([]byte, error) {
	want, ok := wiringOf(src)
	if !ok || !sameSyntax(src, want) {
		return nil, fmt.Errorf("not the platformc wiring")
	}
	const loop = "values: {for a, b in C.#apps {"
	if bytes.Count(want, []byte(loop)) != 1 {
		return nil, fmt.Errorf("the wiring template reads the values in no known way")
	}
	return bytes.Replace(want, []byte(loop), []byte("values: {for a, b in C.#apps if "+cond+" {"), 1), nil
}

// IsSchemaFile reports whether src is, comments and formatting aside, the
// file of the embedded schema named name (its base name): one platformc
// wrote into schema/.
func IsSchemaFile(name string, src []byte) bool {
	want, err := fs.ReadFile(schema.FS, path.Base(name))
	return err == nil && sameSyntax(src, want)
}

// Wiring is clusters/clusters.cue as platformc init writes it for the
// module mpath.
func Wiring(mpath string) ([]byte, error) {
	if err := CheckModule(mpath); err != nil {
		return nil, err
	}
	base, _, ok := ast.SplitPackageVersion(mpath)
	if !ok {
		base = mpath
	}
	return wiring(base)
}

func wiring(base string) ([]byte, error) {
	tmpl, err := fs.ReadFile(template, path.Join("_template", load.ClustersDir, load.WiringFile))
	if err != nil {
		return nil, err
	}
	return rewriteImports(load.WiringFile, tmpl, base)
}

// sameSyntax reports whether a and b are the same CUE once comments are
// dropped and both are formatted.
func sameSyntax(a, b []byte) bool {
	fa, errA := parser.ParseFile("a.cue", a)
	fb, errB := parser.ParseFile("b.cue", b)
	if errA != nil || errB != nil {
		return false
	}
	x, errA := format.Node(fa)
	y, errB := format.Node(fb)
	return errA == nil && errB == nil && bytes.Equal(x, y)
}
