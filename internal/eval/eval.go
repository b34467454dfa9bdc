// Package eval evaluates a loaded platform with CUE and checks it: the
// defaults and bundles once, every cluster on its own in a pool of workers
// (each with its own CUE context), then the checks that need the whole
// platform at once. The result is a model.Platform; CUE values never leave
// this package.
package eval

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue"
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
	// Done, if set, is given the result of each part of a directory (the
	// i-th of dirs) as soon as it is evaluated, while others still are; it
	// may change it. A directory declaring several clusters is evaluated
	// one cluster at a time (load.ClusterDir.Units); last says that the
	// directory is done. Calls never overlap.
	Done func(i int, r *DirResult, last bool)
	// Shared, if set, evaluates the values of the apps directories list
	// in load.ClusterDir.Shared once per distinct input.
	Shared *Shared
}

// Platform evaluates and checks everything lp holds. Platform errors come
// back as one cue/errors list holding every error found, with positions.
func Platform(ctx context.Context, lp *load.Platform, opts Options) (*model.Platform, error) {
	p, err := Defaults(ctx, lp)
	if err != nil {
		return nil, err
	}
	if err := Declarations(lp.Clusters, nil); err != nil {
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

// Defaults checks the schema's version, evaluates the platform defaults
// and the bundles' metadata, a platform without clusters yet, and runs the
// checks that need all of them (CheckDefaults). It is cheap, for commands
// that need only names. If ctx's deadline passes first it returns a
// *TimeoutError; if ctx is cancelled (a signal), context.Canceled.
func Defaults(ctx context.Context, lp *load.Platform) (*model.Platform, error) {
	type result struct {
		p    *model.Platform
		errs cueerrors.Error
	}
	r, err := await(ctx, func() result {
		p, errs := defaults(lp)
		return result{p, errs}
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, &TimeoutError{Pending: cueerrors.Newf(token.NoPos, "the platform defaults (platform/) and bundles (bundles/) did not finish evaluating before the deadline"), err: err}
	}
	if err != nil {
		return nil, err
	}
	if r.errs != nil {
		return nil, r.errs
	}
	return r.p, nil
}

func defaults(lp *load.Platform) (_ *model.Platform, errs cueerrors.Error) {
	defer recoverPanic(&errs, token.NoPos, "the platform defaults and bundles")
	cctx := cuecontext.New()
	if err := schemaVersion(cctx.BuildInstance(lp.Schema)); err != nil {
		// The Go model mirrors one schema: on another, every error that
		// follows would only say so less clearly.
		return nil, err
	}
	s := newShaper(lp.Root, lp.Schema)
	d, derr := s.decodeDefaults(cctx.BuildInstance(lp.Platform))
	errs = cueerrors.Append(errs, derr)
	bundles, berr := s.decodeBundles(cctx.BuildInstance(lp.Bundles))
	if derr != nil {
		// The bundles read the defaults through #platform: a broken
		// default comes back from every app that reads it.
		berr = withoutDefinitions(berr)
	}
	errs = cueerrors.Append(errs, berr)
	if errs != nil {
		return nil, errs
	}
	model.LinkApps(bundles, d)
	p := &model.Platform{Defaults: d, Bundles: bundles}
	return p, CheckDefaults(p)
}

// SortClusters sorts clusters by name, the order every output follows.
func SortClusters(clusters []*model.Cluster) {
	slices.SortStableFunc(clusters, func(a, b *model.Cluster) int { return strings.Compare(a.Name, b.Name) })
}

func (s *shaper) decodeDefaults(v cue.Value) (model.Defaults, cueerrors.Error) {
	var d model.Defaults
	dv := v.LookupPath(cue.ParsePath("platform"))
	if !dv.Exists() {
		if err := v.Err(); err != nil {
			return d, cueerrors.Promote(err, "")
		}
		return d, cueerrors.Newf(v.Pos(), "package platform declares no platform field: write platform: schema.#Platform & {...}")
	}
	if err := dv.Validate(cue.Concrete(true)); err != nil {
		return d, s.atDeclaration(v, cueerrors.Promote(err, ""))
	}
	if err := dv.Decode(&d); err != nil {
		return d, cueerrors.Promote(err, "")
	}
	for name, cp := range d.ControlPlanes {
		cp.Pos = s.declPos(dv.LookupPath(cue.MakePath(cue.Str("controlPlanes"), cue.Str(name), cue.Str("environments"))))
		d.ControlPlanes[name] = cp
	}
	for name, env := range d.Environments {
		env.Pos = s.declPos(dv.LookupPath(cue.MakePath(cue.Str("environments"), cue.Str(name))))
		d.Environments[name] = env
	}
	return d, nil
}

// decodeBundles decodes the bundles' metadata. Their values stay
// unevaluated here: they depend on the cluster.
func (s *shaper) decodeBundles(v cue.Value) (_ map[string]*model.Bundle, errs cueerrors.Error) {
	// Errors are looked for bundle by bundle, field by field, rather than
	// taken from v.Err(), which holds only the first.
	bv := v.LookupPath(cue.ParsePath("bundles"))
	if !bv.Exists() {
		if err := v.Err(); err != nil {
			return nil, cueerrors.Promote(err, "")
		}
		return nil, cueerrors.Newf(v.Pos(), "package bundles declares no bundles field: write bundles: <name>: {...}")
	}
	iter, err := bv.Fields()
	if err != nil {
		return nil, cueerrors.Promote(err, "")
	}
	bundles := map[string]*model.Bundle{}
	bundleDef, appDef := s.def("#Bundle"), s.def("#App")
	defer func() { errs = s.atDeclaration(v, errs) }()
	for iter.Next() {
		name := iter.Selector().Unquoted()
		bundle := iter.Value()
		// The apps first: decoding the bundle decodes them too, and stops
		// at the first error among them.
		apps := map[string]*model.App{}
		appIter, err := bundle.LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
			continue
		}
		var appErrs cueerrors.Error
		for appIter.Next() {
			a := &model.App{Bundle: name, Pos: s.declPos(appIter.Value())}
			if err := s.decodeMeta(appIter.Value(), a, "values", appDef); err != nil {
				appErrs = cueerrors.Append(appErrs, err)
				continue
			}
			apps[a.Name] = a
		}
		if err := s.validateMeta(bundle, "apps", bundleDef); err != nil || appErrs != nil {
			errs = cueerrors.Append(errs, cueerrors.Append(err, appErrs))
			continue
		}
		b := &model.Bundle{}
		if err := bundle.Decode(b); err != nil {
			errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
			continue
		}
		b.Apps = apps
		b.Pos, b.RequiresPos = s.declPos(bundle), s.declPos(bundle)
		if len(b.Requires) > 0 {
			b.RequiresPos = s.declPos(bundle.LookupPath(cue.MakePath(cue.Str("requires"))))
		}
		bundles[name] = b
	}
	return bundles, errs
}

// decodeMeta checks that every field of v but skip is concrete and
// decodes v into dst.
func (s *shaper) decodeMeta(v cue.Value, dst any, skip string, def cue.Value) cueerrors.Error {
	if errs := s.validateMeta(v, skip, def); errs != nil {
		return errs
	}
	if err := v.Decode(dst); err != nil {
		return cueerrors.Promote(err, "")
	}
	return nil
}

// validateMeta checks that every field of v but skip is concrete and one
// the model has. A field left incomplete beside an invalid one is not
// reported: it is usually its consequence (releaseName defaults to an
// invalid name, namespace is unset when namspace is not allowed).
func (s *shaper) validateMeta(v cue.Value, skip string, def cue.Value) cueerrors.Error {
	iter, err := v.Fields()
	if err != nil {
		return cueerrors.Promote(err, "")
	}
	var invalid, unset cueerrors.Error
	for iter.Next() {
		label := iter.Selector().Unquoted()
		if label == skip {
			continue
		}
		if best, ok := notAllowed(def, []string{label}); ok {
			var path []string
			for _, sel := range append(v.Path().Selectors(), iter.Selector()) {
				path = append(path, sel.String())
			}
			invalid = cueerrors.Append(invalid, &fieldError{pos: s.declPos(iter.Value()), path: path,
				format: "the model has no field %q here%s", args: []any{label, meaning(best)}})
			continue
		}
		err := iter.Value().Validate(cue.Concrete(true))
		if err == nil {
			continue
		}
		for _, e := range cueerrors.Errors(err) {
			if incomplete(e) {
				unset = cueerrors.Append(unset, e)
			} else {
				invalid = cueerrors.Append(invalid, e)
			}
		}
	}
	if invalid != nil {
		return invalid
	}
	return unset
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
// error is ctx's: context.Canceled as it is, and on a deadline a
// *TimeoutError naming the clusters still being evaluated. CUE cannot be
// interrupted inside a directory: their workers are left running, for the
// caller to exit.
func Clusters(ctx context.Context, dirs []*load.ClusterDir, opts Options) ([]DirResult, error) {
	batches := make(chan []*load.ClusterDir, 1)
	batches <- dirs
	close(batches)
	return ClustersFrom(ctx, batches, opts)
}

// ClustersFrom is Clusters over directories that arrive in batches, in
// order, while they are loaded: the first are evaluated while the next are
// loaded, and each directory is let go once it is evaluated, so that the
// parsed files of every cluster are not all held at once. The i-th
// directory across the batches is the i-th of the results and of
// Options.Done. Progress counts against the clusters received so far. It
// returns once batches is closed and every directory is evaluated, or ctx
// ends: the sender must then stop sending.
func ClustersFrom(ctx context.Context, batches <-chan []*load.ClusterDir, opts Options) ([]DirResult, error) {
	type unit struct {
		dir int
		cd  *load.ClusterDir
	}
	type result struct {
		k int
		r DirResult
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var (
		mu      sync.Mutex // guards what the dispatcher adds and the others read
		units   []unit
		running []bool
		left    []int // units of each directory not yet done
		results []DirResult
		total   int // clusters received
		s       *shaper
	)
	jobs := make(chan int)
	done := make(chan result)
	dispatched := make(chan int, 1) // how many units, once batches is closed
	stop := make(chan struct{})     // the collector has returned
	defer close(stop)
	go func() {
		defer close(jobs)
		n := 0
		for dirs := range batches {
			var ks []int
			mu.Lock()
			for _, d := range dirs {
				if s == nil {
					s = newShaper(d.Instance.Root, schemaOf(d.Instance))
					s.shared = opts.Shared
				}
				i := len(results)
				results = append(results, DirResult{})
				left = append(left, 0)
				for _, u := range d.Units() {
					ks = append(ks, len(units))
					units = append(units, unit{i, u})
					running = append(running, false)
					left[i]++
				}
				total += len(d.Declared)
			}
			mu.Unlock()
			for _, k := range ks {
				select {
				case jobs <- k:
					n++
				case <-ctx.Done():
					return
				case <-stop:
					return
				}
			}
		}
		dispatched <- n
	}()
	for range workers {
		go func() {
			for k := range jobs {
				mu.Lock()
				running[k] = true
				cd, sh := units[k].cd, s
				mu.Unlock()
				// A fresh context per unit: a context keeps every value it
				// built, and a growing heap costs more in garbage
				// collection than rebuilding the imports does.
				r := sh.evalDir(cuecontext.New(), cd)
				mu.Lock()
				running[k] = false
				mu.Unlock()
				select {
				case done <- result{k, r}:
				case <-stop:
					return
				}
			}
		}()
	}
	evaluated, finished, n := 0, 0, -1
	for n < 0 || finished < n {
		select {
		case n = <-dispatched:
		case d := <-done:
			mu.Lock()
			u := units[d.k]
			units[d.k].cd = nil // evaluated: its parsed files may go
			left[u.dir]--
			last := left[u.dir] == 0
			mu.Unlock()
			if opts.Done != nil {
				opts.Done(u.dir, &d.r, last)
			}
			mu.Lock()
			results[u.dir].Clusters = append(results[u.dir].Clusters, d.r.Clusters...)
			results[u.dir].Err = cueerrors.Append(results[u.dir].Err, d.r.Err)
			received := total
			mu.Unlock()
			finished++
			if len(u.cd.Declared) == 0 {
				continue // a directory of defaults: nothing to count
			}
			evaluated += len(u.cd.Declared)
			if opts.Progress != nil {
				opts.Progress(evaluated, received)
			}
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, ctx.Err()
			}
			var pending cueerrors.Error
			mu.Lock()
			for k := range units {
				if running[k] {
					for _, d := range units[k].cd.Declared {
						pending = cueerrors.Append(pending, newError(d.Pos, nil,
							"cluster %q: evaluation did not finish before the deadline; an exploding disjunction, such as (a | b) & (c | d) & ... over many fields, is the usual cause", d.Name))
					}
				}
			}
			mu.Unlock()
			return nil, &TimeoutError{Pending: pending, err: ctx.Err()}
		}
	}
	return results, nil
}

// TimeoutError says that evaluation did not finish before the context's
// deadline. Pending names what was still being evaluated, with positions;
// it unwraps to context.DeadlineExceeded.
type TimeoutError struct {
	Pending cueerrors.Error
	err     error
}

func (e *TimeoutError) Error() string { return e.err.Error() }
func (e *TimeoutError) Unwrap() error { return e.err }

// await runs f on its own goroutine and returns its result, or ctx's error
// if ctx ends first. CUE cannot be interrupted: f is then left running.
func await[T any](ctx context.Context, f func() T) (T, error) {
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err // ended already: start nothing
	}
	ch := make(chan T, 1)
	go func() { ch <- f() }()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// recoverPanic turns a panic inside CUE into an error at pos naming what
// was evaluated: one bad input must not take the whole run down without
// saying where it was.
func recoverPanic(errp *cueerrors.Error, pos token.Pos, what string) {
	if r := recover(); r != nil {
		*errp = cueerrors.Append(*errp, newError(pos, nil,
			"internal error evaluating %s: %v; please report it, with the files involved", what, r))
	}
}

// evalDir evaluates the clusters declared in one directory.
func (s *shaper) evalDir(cctx *cue.Context, dir *load.ClusterDir) (r DirResult) {
	if len(dir.Declared) == 0 {
		return DirResult{}
	}
	defer recoverPanic(&r.Err, dir.Declared[0].Pos, fmt.Sprintf("cluster %q", dir.Declared[0].Name))
	v := cctx.BuildInstance(dir.Instance)
	clusters := v.LookupPath(cue.ParsePath("clusters"))
	if !clusters.Exists() {
		return DirResult{Err: cueerrors.Promote(v.Err(), "")}
	}
	for _, d := range dir.Declared {
		cv := clusters.LookupPath(cue.MakePath(cue.Str(d.Name)))
		evalCluster := s.evalCluster
		if dir.Only != nil {
			evalCluster = func(cv cue.Value, d load.Declared) (*model.Cluster, error) { return s.evalApps(cv, d, dir.Only) }
		}
		c, err := evalCluster(cv, d)
		if err == nil && len(dir.Shared) > 0 && s.shared != nil {
			if c.Values == nil {
				c.Values = map[string]map[string]any{}
			}
			if serr := s.shared.fill(cv, c.Values, dir.Shared, bundlesOf(dir.Instance)); serr != nil {
				err = fmt.Errorf("cluster %q: values shared with other clusters: %w", d.Name, serr)
			}
		}
		if err != nil {
			r.Err = cueerrors.Append(r.Err, s.locate(err, dir.Instance, d, hintsOf(cv)))
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

// viewSettings is where a cluster's settings are merged with the
// platform's (schema/cluster.cue).
var viewSettings = cue.MakePath(cue.Def("#view"), cue.Str("settings"))

// MaxValueDepth is how deep an app's values may nest. Real Helm values
// stay far below it; a deeper document is a mistake, and its YAML grows
// with the square of its depth.
const MaxValueDepth = 100

// evalCluster checks that the cluster is complete and valid, the schema's
// policy checks (hidden _checks fields) included, and decodes it.
func (s *shaper) evalCluster(cv cue.Value, d load.Declared) (*model.Cluster, error) {
	if err := cv.Validate(cue.Concrete(true), cue.Hidden(true)); err != nil {
		return nil, cueerrors.Append(cueerrors.Promote(err, ""), fieldErrors(cv))
	}
	c := &model.Cluster{}
	if err := cv.Decode(c); err != nil {
		return nil, err
	}
	// The settings the values read: the platform's, with the cluster's
	// own over them.
	c.Settings = nil
	if err := cv.LookupPath(viewSettings).Decode(&c.Settings); err != nil {
		return nil, err
	}
	if errs := clusterNames(c, d.Pos); errs != nil {
		return nil, errs
	}
	for _, app := range slices.Sorted(maps.Keys(c.Values)) {
		if path := tooDeep(c.Values[app], nil); path != nil {
			sels := []cue.Selector{cue.Str("values"), cue.Str(app)}
			for _, p := range path {
				sels = append(sels, p)
			}
			pos := s.declPos(cv.LookupPath(cue.MakePath(sels...)))
			if !pos.IsValid() {
				pos = d.Pos
			}
			return nil, tooDeepError(pos, d.Name, app)
		}
	}
	return c, nil
}

// evalApps evaluates, of a cluster whose other inputs are those of a
// previous build, only the values of the apps in only that it runs: a
// cluster with its name and those values, nothing else. The cluster's
// files may set values of other apps, which its wiring (see
// load.ClusterDir.Only) did not complete: they are not looked at.
func (s *shaper) evalApps(cv cue.Value, d load.Declared, only map[string]bool) (*model.Cluster, error) {
	c := &model.Cluster{Name: d.Name, Values: map[string]map[string]any{}}
	for _, app := range slices.Sorted(maps.Keys(only)) {
		sels := []cue.Selector{cue.Str("values"), cue.Str(app)}
		av := cv.LookupPath(cue.MakePath(sels...))
		if !av.Exists() {
			continue // not run by this cluster
		}
		// As evalCluster validates the whole cluster.
		if err := av.Validate(cue.Concrete(true), cue.Hidden(true)); err != nil {
			return nil, cueerrors.Promote(err, "")
		}
		var values map[string]any
		if err := av.Decode(&values); err != nil {
			return nil, err
		}
		if path := tooDeep(values, nil); path != nil {
			return nil, tooDeepError(d.Pos, d.Name, app)
		}
		c.Values[app] = values
	}
	return c, nil
}

// fieldErrors validates each field of a cluster on its own. Validating the
// whole cluster does not report every field left unset (with tkr unset,
// a missing vsphereNamespace went unreported; with env unset, only the
// policy check that reads it), and a user should see them all at once.
// locate drops what this repeats.
func fieldErrors(cv cue.Value) cueerrors.Error {
	iter, err := cv.Fields()
	if err != nil {
		return nil
	}
	var errs cueerrors.Error
	for iter.Next() {
		if err := iter.Value().Validate(cue.Concrete(true)); err != nil {
			errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
		}
	}
	return errs
}

// tooDeepError says that the values of app on cluster nest deeper than
// MaxValueDepth, at pos.
func tooDeepError(pos token.Pos, cluster, app string) cueerrors.Error {
	return newError(pos, nil, "cluster %q: values of app %q nest deeper than %d levels; at most %d are allowed",
		cluster, app, MaxValueDepth, MaxValueDepth)
}

// tooDeep returns the path to the first value nested deeper than
// MaxValueDepth below v, or nil.
func tooDeep(v any, path []cue.Selector) []cue.Selector {
	if len(path) > MaxValueDepth {
		return path
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if p := tooDeep(x[k], append(path, cue.Str(k))); p != nil {
				return p
			}
		}
	case []any:
		for i, e := range x {
			if p := tooDeep(e, append(path, cue.Index(i))); p != nil {
				return p
			}
		}
	}
	return nil
}
