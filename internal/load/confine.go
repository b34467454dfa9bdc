package load

import (
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// confine checks that every file cue/load read for insts and their
// imports is a regular file of the module reached through no symlink, and
// has the @embed attributes of each read through fsys.
//
// cue/load reads the .cue files from the OS: its io/fs mode (Config.FS)
// cannot load the packages vendored under cue.mod/pkg in cuelang.org/go
// v0.17.1 ("cannot get absolute path for FS of type *load.fsIOFS"). Scan
// has read the same files through fsys before, refusing what this refuses
// too; this check makes sure that nothing cue/load found on its own, say
// through an import, escaped it. The embedded files are read during
// evaluation from the file system recorded in each file's positions,
// os.DirFS("/") by default: token.File.SetFSLoc (exported, documented as
// internal to CUE) points it at fsys instead, so that an @embed reads
// nothing outside the module whatever changed since Scan.
func confine(fsys *moduleFS, insts []*build.Instance) cueerrors.Error {
	var errs cueerrors.Error
	seen := map[*build.Instance]bool{}
	files := map[*ast.File]bool{}
	var visit func(inst *build.Instance)
	visit = func(inst *build.Instance) {
		if seen[inst] {
			return
		}
		seen[inst] = true
		for _, f := range inst.Files {
			if files[f] {
				continue
			}
			files[f] = true
			rel, ok := fsys.rel(f.Filename)
			if !ok {
				errs = cueerrors.Append(errs, cueerrors.Newf(token.NoPos,
					"%s is outside the module; platformc reads only the files of the module at %s", f.Filename, fsys.dir))
				continue
			}
			if _, err := fsys.lstat("read", rel); err != nil {
				errs = cueerrors.Append(errs, fsys.refusal(token.NoPos, "", err))
				continue
			}
			if tf := f.Pos().File(); tf != nil {
				tf.SetFSLoc(token.FSLoc{FS: fsys, Path: rel, FromFSPath: fsys.abs})
			}
		}
		for _, imp := range inst.Imports {
			visit(imp)
		}
	}
	for _, inst := range insts {
		visit(inst)
	}
	return errs
}
