// Package eval evaluates a loaded platform with CUE and checks it: the
// defaults and bundles once, every cluster on its own in a pool of workers
// (each with its own CUE context), then the checks that need the whole
// platform at once. The result is a model.Platform; CUE values never leave
// this package.
package eval

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
)

// Options tune evaluation.
type Options struct {
	// Workers is the number of cluster directories evaluated at once; 0
	// means GOMAXPROCS.
	Workers int
	// Progress, if set, is told how many of the clusters have been
	// evaluated, after each cluster directory. Calls never overlap.
	Progress func(done, total int)
	// Done, if set, is given each directory's result (the i-th of dirs) as
	// soon as it is evaluated, while others still are; it may change it.
	// Calls never overlap.
	Done func(i int, r *DirResult)
}

// Platform evaluates and checks everything lp holds. Platform errors come
// back as one cue/errors list holding every error found, with positions.
func Platform(ctx context.Context, lp *load.Platform, opts Options) (*model.Platform, error) {
	p, err := Catalog(lp)
	if err != nil {
		return nil, err
	}
	results, err := Clusters(ctx, lp.Clusters, opts)
	if err != nil {
		return nil, err
	}
	var errs cueerrors.Error
	for _, r := range results {
		p.Clusters = append(p.Clusters, r.Clusters...)
		errs = cueerrors.Append(errs, r.Err)
	}
	if errs != nil {
		return nil, errs
	}
	SortClusters(p.Clusters)
	if err := Check(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Catalog evaluates what does not depend on a cluster: the schema's
// version, the platform defaults and the bundles. The result has no
// clusters. It is cheap, for commands that need only names.
func Catalog(lp *load.Platform) (*model.Platform, error) {
	cctx := cuecontext.New()
	if err := schemaVersion(cctx.BuildInstance(lp.Schema)); err != nil {
		// The Go model mirrors one schema: on another, every error that
		// follows would only say so less clearly.
		return nil, err
	}
	var errs cueerrors.Error
	defaults, derr := decodeDefaults(cctx.BuildInstance(lp.Platform))
	errs = cueerrors.Append(errs, derr)
	bundles, berr := decodeBundles(cctx.BuildInstance(lp.Bundles))
	errs = cueerrors.Append(errs, berr)
	if errs != nil {
		return nil, errs
	}
	model.LinkApps(bundles, defaults)
	return &model.Platform{Defaults: defaults, Bundles: bundles}, nil
}

// SortClusters sorts clusters by name, the order every output follows.
func SortClusters(clusters []*model.Cluster) {
	slices.SortStableFunc(clusters, func(a, b *model.Cluster) int { return strings.Compare(a.Name, b.Name) })
}

func decodeDefaults(v cue.Value) (model.Defaults, cueerrors.Error) {
	var d model.Defaults
	if err := v.Err(); err != nil {
		return d, cueerrors.Promote(err, "")
	}
	dv := v.LookupPath(cue.ParsePath("platform"))
	if !dv.Exists() {
		return d, cueerrors.Newf(v.Pos(), "package platform declares no platform field: write platform: schema.#Platform & {...}")
	}
	if err := dv.Validate(cue.Concrete(true)); err != nil {
		return d, cueerrors.Promote(err, "")
	}
	if err := dv.Decode(&d); err != nil {
		return d, cueerrors.Promote(err, "")
	}
	// Positions, for the checks of check.go.
	for name, e := range d.Environments {
		e.Pos = declPos(dv.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(name))))
		d.Environments[name] = e
	}
	for name, cp := range d.ControlPlanes {
		cp.Pos = declPos(dv.LookupPath(cue.MakePath(cue.Str("controlPlanes"), cue.Str(name))))
		d.ControlPlanes[name] = cp
	}
	return d, nil
}

// decodeBundles decodes the bundles' metadata. Their values stay
// unevaluated here: they depend on the cluster.
func decodeBundles(v cue.Value) (map[string]*model.Bundle, cueerrors.Error) {
	if err := v.Err(); err != nil {
		return nil, cueerrors.Promote(err, "")
	}
	bv := v.LookupPath(cue.ParsePath("bundles"))
	if !bv.Exists() {
		return nil, cueerrors.Newf(v.Pos(), "package bundles declares no bundles field: write bundles: <name>: {...}")
	}
	iter, err := bv.Fields()
	if err != nil {
		return nil, cueerrors.Promote(err, "")
	}
	var errs cueerrors.Error
	bundles := map[string]*model.Bundle{}
	for iter.Next() {
		name := iter.Selector().Unquoted()
		b := &model.Bundle{Apps: map[string]*model.App{}}
		if err := decodeMeta(iter.Value(), b, "apps"); err != nil {
			errs = cueerrors.Append(errs, err)
			continue
		}
		apps, err := iter.Value().LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
			continue
		}
		for apps.Next() {
			a := &model.App{Bundle: name, Pos: declPos(apps.Value())}
			if err := decodeMeta(apps.Value(), a, "values"); err != nil {
				errs = cueerrors.Append(errs, err)
				continue
			}
			b.Apps[a.Name] = a
		}
		bundles[name] = b
	}
	return bundles, errs
}

// declPos is where v is declared in the platform's own files: v.Pos() is
// often the schema's pattern (apps: [Name=#Name]: #App), which tells the
// user nothing; one of the unified conjuncts is the user's literal.
func declPos(v cue.Value) token.Pos {
	if op, args := v.Expr(); op == cue.AndOp {
		for _, a := range args {
			if p := a.Pos(); p.IsValid() && !strings.Contains(filepath.ToSlash(p.Filename()), "/schema/") {
				return p
			}
		}
	}
	return v.Pos()
}

// decodeMeta checks that every field of v but skip is concrete and
// decodes v into dst.
func decodeMeta(v cue.Value, dst any, skip string) cueerrors.Error {
	iter, err := v.Fields()
	if err != nil {
		return cueerrors.Promote(err, "")
	}
	var errs cueerrors.Error
	for iter.Next() {
		if iter.Selector().Unquoted() == skip {
			continue
		}
		if err := iter.Value().Validate(cue.Concrete(true)); err != nil {
			errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
		}
	}
	if errs != nil {
		return errs
	}
	if err := v.Decode(dst); err != nil {
		return cueerrors.Promote(err, "")
	}
	return nil
}

// DirResult is the evaluation of one cluster directory: its clusters, or
// the errors found in them.
type DirResult struct {
	Clusters []*model.Cluster
	Err      cueerrors.Error
}

// Clusters evaluates every cluster directory in a bounded pool of workers,
// each directory in its own CUE context (a context is not safe for
// concurrent use), and returns the results in the order of dirs. The only
// error is the context's.
func Clusters(ctx context.Context, dirs []*load.ClusterDir, opts Options) ([]DirResult, error) {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(len(dirs), 1))
	results := make([]DirResult, len(dirs))
	jobs := make(chan int)
	done := make(chan int, len(dirs)) // buffered: workers never block on a canceled run
	for range workers {
		go func() {
			for i := range jobs {
				// A fresh context per directory: a context keeps every
				// value it built, and a growing heap costs more in garbage
				// collection than rebuilding the imports does.
				results[i] = evalDir(cuecontext.New(), dirs[i])
				done <- i
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range dirs {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	total := 0
	for _, d := range dirs {
		total += len(d.Declared)
	}
	evaluated := 0
	for range dirs {
		select {
		case i := <-done:
			if opts.Done != nil {
				opts.Done(i, &results[i])
			}
			if len(dirs[i].Declared) == 0 {
				continue // a directory of defaults: nothing to count
			}
			evaluated += len(dirs[i].Declared)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if opts.Progress != nil {
			opts.Progress(evaluated, total)
		}
	}
	return results, nil
}

// evalDir evaluates the clusters declared in one directory.
func evalDir(cctx *cue.Context, dir *load.ClusterDir) DirResult {
	if len(dir.Declared) == 0 {
		return DirResult{}
	}
	v := cctx.BuildInstance(dir.Instance)
	clusters := v.LookupPath(cue.ParsePath("clusters"))
	if !clusters.Exists() {
		return DirResult{Err: cueerrors.Promote(v.Err(), "")}
	}
	var r DirResult
	for _, d := range dir.Declared {
		cv := clusters.LookupPath(cue.MakePath(cue.Str(d.Name)))
		c, err := evalCluster(cv)
		if err != nil {
			r.Err = cueerrors.Append(r.Err, locate(err, dir.Instance, d))
			continue
		}
		c.Pos = d.Pos
		r.Clusters = append(r.Clusters, c)
	}
	if r.Err == nil && v.Err() != nil {
		// An error outside the clusters, e.g. a stray top-level field.
		r.Err = cueerrors.Promote(v.Err(), "")
	}
	return r
}

// evalCluster checks that the cluster is complete and valid, the schema's
// policy checks (hidden _checks fields) included, and decodes it.
func evalCluster(cv cue.Value) (*model.Cluster, error) {
	if err := cv.Validate(cue.Concrete(true), cue.Hidden(true)); err != nil {
		return nil, err
	}
	c := &model.Cluster{}
	if err := cv.Decode(c); err != nil {
		return nil, err
	}
	return c, nil
}

// locate gives each error of a cluster a position in the user's files when
// CUE only knows the schema's: the deepest field on the error's path that
// the cluster's files set, or else the cluster's declaration. An error
// that CUE repeats along every reference to the broken field is kept once,
// at its shortest path.
func locate(err error, inst *build.Instance, d load.Declared) cueerrors.Error {
	all := cueerrors.Errors(err)
	slices.SortStableFunc(all, func(a, b cueerrors.Error) int { return len(a.Path()) - len(b.Path()) })
	seen := map[string]bool{}
	var out cueerrors.Error
	for _, e := range all {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if seen[msg] || cascade(e.Path(), msg, len(all)) {
			continue
		}
		seen[msg] = true
		path := userPath(e.Path())
		pos, depth := fieldPos(inst, path)
		switch {
		case !pos.IsValid() && !hasUserPos(e, inst, ""):
			pos = d.Pos
		case depth < len(path) && hasSourcePos(e):
			// Only a parent field matched, and CUE knows where the value
			// comes from (a bundle, say): that says more.
			pos = token.NoPos
		}
		// CUE's own position wins over ours in the same file: it points at
		// the value rather than the field.
		if pos.IsValid() && !hasUserPos(e, inst, pos.Filename()) {
			e = &located{e: e, pos: pos}
		}
		out = cueerrors.Append(out, e)
	}
	return out
}

// cascade reports whether an error only repeats another one along a
// reference: one found through a definition such as #bundles, or a
// cluster-level policy message (they name their cluster) surfacing in the
// values that read the broken field.
func cascade(path []string, msg string, errors int) bool {
	if errors < 2 {
		return false
	}
	if throughDefinition(path) {
		return true
	}
	return len(path) > 2 && path[2] == "values" && strings.HasPrefix(msg, "cluster \"")
}

// throughDefinition reports whether the path goes through a definition
// such as #bundles: such an error repeats one found on a regular field.
func throughDefinition(path []string) bool {
	return slices.ContainsFunc(path, func(s string) bool { return strings.HasPrefix(s, "#") })
}

// located is a CUE error with one more position, where the user can fix it.
type located struct {
	e   cueerrors.Error
	pos token.Pos
}

func (l *located) Position() token.Pos  { return l.e.Position() }
func (l *located) Path() []string       { return l.e.Path() }
func (l *located) Msg() (string, []any) { return l.e.Msg() }
func (l *located) Error() string        { return l.e.Error() }
func (l *located) InputPositions() []token.Pos {
	return append([]token.Pos{l.pos}, l.e.InputPositions()...)
}

// hasUserPos reports whether one of e's positions is in a file of the
// cluster's own directory or of a directory between it and clusters/, and
// in file if file is set.
func hasUserPos(e cueerrors.Error, inst *build.Instance, file string) bool {
	for _, p := range cueerrors.Positions(e) {
		if (file == "" || p.Filename() == file) && isUserFile(inst, p.Filename()) {
			return true
		}
	}
	return false
}

// hasSourcePos reports whether e has a position outside the schema.
func hasSourcePos(e cueerrors.Error) bool {
	for _, p := range cueerrors.Positions(e) {
		if !strings.Contains(filepath.ToSlash(p.Filename()), "/schema/") {
			return true
		}
	}
	return false
}

// userPath maps the path of an error to the field a user writes: a failed
// policy check in _checks is about the env, labels, bundles or values field.
func userPath(path []string) []string {
	if len(path) == 3 && path[0] == "clusters" && path[2] == "name" {
		return path[:2] // the name is the label of the declaration
	}
	for i, sel := range path {
		if sel == "_checks" {
			out := slices.Clone(path[:i])
			if i+1 < len(path) && (path[i+1] == "values" || path[i+1] == "env" || path[i+1] == "labels") {
				return append(out, path[i+1])
			}
			return append(out, "bundles")
		}
	}
	return path
}
