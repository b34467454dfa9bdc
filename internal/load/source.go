package load

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	cueload "cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// The checks here look at the module's sources before CUE evaluates them:
// what CUE accepts but a platform cannot mean (a file that is not UTF-8,
// a top-level field platformc would ignore), and what cue/load reports
// without a position (a missing directory, two packages in one).

// layout says what a platform module holds, for the errors about it.
const layout = "a platform module holds the defaults in platform/ (platform: schema.#Platform & {...}), " +
	"the bundles in bundles/ (bundles: <name>: {...}) and a directory per cluster under clusters/ (clusters: <name>: {...})"

// checkLayout reports, at cue.mod/module.cue, the directories a platform
// module lacks: platform/ and bundles/ with .cue files, and clusters/.
// One that cannot be read, or is a symlink, is refused, naming it: it is
// not missing.
func checkLayout(fsys *moduleFS) cueerrors.Error {
	var errs cueerrors.Error
	if _, err := fsys.Stat("cue.mod"); err != nil {
		errs = cueerrors.Append(errs, fsys.refusal(token.NoPos, "", err))
	}
	var missing, empty []string
	for _, d := range []string{PlatformDir, BundlesDir, ClustersDir} {
		entries, err := fsys.ReadDir(d)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, d+"/")
		case err != nil:
			errs = cueerrors.Append(errs, fsys.refusal(token.NoPos, "", err))
		case d != ClustersDir && !slices.ContainsFunc(entries, isCUEFile):
			empty = append(empty, d+"/")
		}
	}
	if missing == nil && empty == nil {
		return errs
	}
	pos := filePos(fsys, fsys.abs("cue.mod/module.cue"), 0)
	if len(missing) > 0 {
		errs = cueerrors.Append(errs, cueerrors.Newf(pos, "module has no %s directory; %s", orList(missing), layout))
	}
	if len(empty) > 0 {
		errs = cueerrors.Append(errs, cueerrors.Newf(pos, "%s holds no .cue files; %s", strings.Join(empty, " and "), layout))
	}
	return errs
}

// orList joins words as "a", "a or b", "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// checkUTF8 refuses a source file that is not UTF-8, at its first bad
// byte: CUE would read it, and a Latin-1 "é" in a value would reach the
// output as YAML binary data.
func checkUTF8(name string, data []byte) cueerrors.Error {
	if utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return cueerrors.Newf(contentPos(name, data, off),
		"file is not valid UTF-8 (byte 0x%02x); CUE source files are UTF-8: convert it, e.g. with iconv -f latin1 -t utf-8", data[off])
}

// filePos is the position of byte off of the named file, or no position
// if it cannot be read.
func filePos(fsys *moduleFS, name string, off int) token.Pos {
	data, err := fsys.readAbs(name)
	if err != nil {
		return token.NoPos
	}
	return contentPos(name, data, min(off, len(data)))
}

func contentPos(name string, data []byte, off int) token.Pos {
	f := token.NewFile(name, -1, len(data))
	f.SetLinesForContent(data)
	return f.Pos(off, token.NoRelPos)
}

// packagePos is the position of the package clause of a file.
func packagePos(fsys *moduleFS, name string) token.Pos {
	data, err := fsys.readAbs(name)
	if err != nil {
		return token.NoPos
	}
	f, err := parser.ParseFile(name, data, parser.PackageClauseOnly)
	if err != nil {
		return contentPos(name, data, 0)
	}
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			return p.Name.Pos()
		}
	}
	return contentPos(name, data, 0)
}

// multiplePackages gives cue/load's error for a directory holding two
// packages a position: the package clause of the second file.
func multiplePackages(fsys *moduleFS, e *cueload.MultiplePackageError) cueerrors.Error {
	dir := e.Dir
	if !filepath.IsAbs(dir) {
		dir = fsys.abs(dir) // cue/load gives it relative to the module root
	}
	file := filepath.Join(dir, e.Files[1])
	return cueerrors.Newf(packagePos(fsys, file),
		"package %s, but %s in the same directory is package %s; the files of a directory are one package",
		e.Packages[1], e.Files[0], e.Packages[0])
}

// topLevelFields refuses regular top-level fields other than the one the
// package declares: platformc would ignore them, so a typo such as
// cluster: for clusters: would silently drop a cluster, and build would
// prune its files. Helpers are hidden fields (_name) or definitions
// (#Name). Each file is checked once, however many instances hold it.
// own, if set, checks the package's own field.
func topLevelFields(inst *build.Instance, field, shape string, own func(*ast.Field) cueerrors.Error, seen map[string]bool) cueerrors.Error {
	var errs cueerrors.Error
	for _, f := range inst.Files {
		if seen[f.Filename] {
			continue
		}
		seen[f.Filename] = true
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(fd.Label)
			if err == nil && name == field && own != nil {
				errs = cueerrors.Append(errs, own(fd))
			}
			if err != nil || name == field || strings.HasPrefix(name, "_") || strings.HasPrefix(name, "#") {
				continue
			}
			errs = cueerrors.Append(errs, cueerrors.Newf(fd.Label.Pos(),
				"unknown top-level field %q in package %s: platformc reads only %s; helpers are hidden fields (_name) or definitions (#Name)",
				name, inst.PkgName, shape))
		}
	}
	return errs
}

// clusterDecls refuses a clusters field whose clusters platformc could not
// see: clusters are found by reading the files (to evaluate each
// directory on its own), so a cluster made by a comprehension, an
// embedding, a computed name or a reference would be silently left out,
// and build would prune its files. Literal names and patterns
// (clusters: [_]: ...) are what the package holds.
func clusterDecls(fd *ast.Field) cueerrors.Error {
	const how = "platformc finds clusters by reading the files: declare each as clusters: <name>: {...} with its name written out"
	st, ok := fd.Value.(*ast.StructLit)
	if !ok {
		return cueerrors.Newf(fd.Value.Pos(), "clusters is not a struct written out; %s", how)
	}
	var errs cueerrors.Error
	for _, elt := range st.Elts {
		switch x := elt.(type) {
		case *ast.Field:
			if _, ok := x.Label.(*ast.ListLit); ok {
				continue // a pattern: defaults for the clusters it matches
			}
			if _, _, err := ast.LabelName(x.Label); err != nil {
				errs = cueerrors.Append(errs, cueerrors.Newf(x.Label.Pos(), "cluster with a computed name; %s", how))
			}
		case *ast.Comprehension:
			errs = cueerrors.Append(errs, cueerrors.Newf(x.Pos(), "clusters made by a comprehension; %s", how))
		case *ast.EmbedDecl:
			errs = cueerrors.Append(errs, cueerrors.Newf(x.Pos(), "clusters embedded from another value; %s", how))
		}
	}
	return errs
}

// NoClusters is the error for patterns that select no cluster: at the
// first .cue file of the directories they select, which only set defaults.
func NoClusters(in *Inputs, patterns []string) cueerrors.Error {
	if len(patterns) == 0 {
		patterns = []string{DefaultPattern}
	}
	quoted := make([]string, len(patterns))
	for i, p := range patterns {
		quoted[i] = fmt.Sprintf("%q", p)
	}
	what := "pattern " + strings.Join(quoted, ", ")
	if len(patterns) > 1 {
		what = "patterns " + strings.Join(quoted, ", ")
	}
	if len(in.Dirs) == 0 {
		return cueerrors.Newf(token.NoPos, "%s: no .cue files in the directories selected; a cluster is declared as clusters: <name>: {...} in a directory under clusters/", what)
	}
	var dirs []string
	for _, d := range in.Dirs {
		dirs = append(dirs, filepath.ToSlash(rel(in.Root, d.Dir))+"/")
	}
	if len(dirs) > 3 {
		dirs = append(dirs[:3], fmt.Sprintf("and %d more", len(dirs)-3))
	}
	pos := token.NoPos
	if fsys, err := in.module(); err == nil {
		if d, ok := fsys.rel(in.Dirs[0].Dir); ok {
			if entries, err := fsys.ReadDir(d); err == nil {
				if i := slices.IndexFunc(entries, isCUEFile); i >= 0 {
					pos = filePos(fsys, filepath.Join(in.Dirs[0].Dir, entries[i].Name()), 0)
				}
			}
		}
	}
	hint := "a cluster is declared as clusters: <name>: {...}"
	if len(patterns) == 1 && !strings.HasSuffix(patterns[0], "...") {
		hint = fmt.Sprintf("to select the clusters below it, give %q", strings.TrimSuffix(filepath.ToSlash(patterns[0]), "/")+"/...")
	}
	return cueerrors.Newf(pos, "%s selects no cluster: the files of %s declare none, they only set defaults; %s",
		what, strings.Join(dirs, ", "), hint)
}
