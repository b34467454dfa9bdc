// Package pipeline is the one way platformc evaluates a platform, for
// every command: scan → load → evaluate → render, with the build cache
// between them (a cluster directory whose inputs are unchanged since a
// previous build is not evaluated again, its rendered files come from the
// cache), the secrets the platform reads learnt by the redactor before
// anything else, and the checks that need every rendered file.
package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/redact"
	"github.com/platformc/platformc/internal/render"
)

// Options say what to build and how.
type Options struct {
	// Dir and Patterns select the clusters, as in load.Config.
	Dir      string
	Patterns []string
	// Cluster, if set, narrows the selection to the directories that
	// declare the cluster of that name (show cluster). None is a
	// *NoClusterError.
	Cluster string
	// DefaultsOnly evaluates the platform defaults and bundles, and no
	// cluster: for what needs only their names.
	DefaultsOnly bool
	// KeepValues keeps the clusters' values in the result (show); their
	// directories are evaluated, not served from the cache.
	KeepValues bool
	// Placeholders lets a @tag(NAME) field read a variable that is not
	// set: it is evaluated with a placeholder, for the commands that write
	// and compare no values file (vet, list, show, docs, apps). An error
	// the placeholder causes in the field that reads it is a Note, not an
	// error. Without it, an unset variable is an error.
	Placeholders bool
	// Workers is the number of directories evaluated at once (0: GOMAXPROCS).
	Workers int
	// LoadBatch is how many directories are loaded at a time while the
	// ones loaded before are evaluated (0: loadBatch). The result does not
	// depend on it.
	LoadBatch int
	// Cache, if set, serves and stores evaluated cluster directories.
	Cache *cache.Cache
	// Progress, if set, is told how many directories are evaluated.
	Progress func(done, total int)
	// Env looks up the environment variables secrets come from (@tag);
	// nil means os.LookupEnv.
	Env load.Env
	// Redactor, if set, learns every secret the platform reads as soon as
	// it is read, and every placeholder.
	Redactor *redact.Redactor
}

// Result is a built platform. Unless Options.KeepValues, its clusters
// carry no Values: they are rendered into Files as soon as evaluated.
type Result struct {
	// Root is the module root, for reporting positions.
	Root     string
	Platform *model.Platform
	// Files are every rendered file, sorted by path.
	Files []render.File
	// ClusterFiles are the files that belong to one cluster each (values,
	// registration, TKC), sorted by path: what a partial build writes.
	ClusterFiles []render.File
	// Complete says that every cluster of the platform was selected.
	Complete bool
	// Unset are the variables that @tag fields without a default read and
	// that are not set, sorted: evaluated with placeholders.
	Unset []string
	// Notes are errors a placeholder caused (Options.Placeholders): not
	// errors of the platform, but what was not checked.
	Notes cueerrors.Error
	// Evaluated and Cached count the clusters evaluated and those served
	// from the cache.
	Evaluated, Cached int
}

// Output is what a build writes: every file when every cluster was
// selected, with prune (generated files no longer produced are removed);
// for a partial selection, only the selected clusters' own files, without
// prune, since ApplicationSets and pruning need every cluster.
func (r *Result) Output() (files []render.File, prune bool) {
	if r.Complete {
		return r.Files, true
	}
	return r.ClusterFiles, false
}

// NoClusterError says that no directory declares the cluster asked for.
type NoClusterError struct {
	Name string
	// Known are the clusters the platform declares, sorted.
	Known []string
}

func (e *NoClusterError) Error() string { return fmt.Sprintf("no cluster %q", e.Name) }

// Run builds what opts selects. Errors in the platform, patterns that
// select no cluster among them, are cue/errors lists with positions; a bad
// pattern is a *load.UsageError; a deadline is an *eval.TimeoutError. The
// Result comes back with an error too, for its Root and Unset.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	if opts.Redactor == nil {
		opts.Redactor = redact.New(nil) // learns what the checks look for
	}
	in, err := load.Scan(load.Config{Dir: opts.Dir, Patterns: opts.Patterns})
	res := &Result{}
	if in != nil {
		res.Root = in.Root
	}
	if err != nil {
		return res, err
	}
	res.Unset = learnSecrets(in, opts)
	if opts.DefaultsOnly {
		res.Platform, err = defaults(ctx, in, opts)
		return res, err
	}
	b := &build{in: in, opts: opts, res: res}
	err = b.run(ctx)
	if err != nil && ctx.Err() == nil && opts.Cache != nil && res.Cached > 0 {
		// Clusters from the cache carry no source positions: find the
		// errors again without it, so that each is reported where it is.
		opts.Cache = nil
		*res = Result{Root: in.Root, Unset: res.Unset}
		b = &build{in: in, opts: opts, res: res}
		err = b.run(ctx)
	}
	return res, err
}

// learnSecrets tells the redactor every variable a @tag names that is set,
// before anything is read that could hold it, and every placeholder. It
// returns the variables that are not set and that a field without a
// default reads.
func learnSecrets(in *load.Inputs, opts Options) []string {
	var unset []string
	for _, name := range in.Tags {
		if v, ok := opts.Env(name); ok {
			opts.Redactor.Add(name, v)
			continue
		}
		if slices.Contains(in.Required, name) {
			unset = append(unset, name)
			if opts.Placeholders {
				opts.Redactor.AddPlaceholder(name, load.Placeholder(name))
			}
		}
	}
	return unset
}

// secrets are the values of the variables tags names that are set.
func secrets(tags []string, env load.Env) map[string]string {
	s := map[string]string{}
	for _, name := range tags {
		if v, ok := env(name); ok {
			s[name] = v
		}
	}
	return s
}

// defaults loads and evaluates the platform defaults and bundles alone.
func defaults(ctx context.Context, in *load.Inputs, opts Options) (*model.Platform, error) {
	lp, err := load.Load(in.Root, nil, load.Options{Env: opts.Env, Placeholders: opts.Placeholders})
	if err != nil {
		return nil, err
	}
	return eval.Defaults(ctx, lp)
}

// build is one run of the stages over the scanned inputs.
type build struct {
	in    *load.Inputs
	opts  Options
	res   *Result
	keys  keys
	store store

	p *model.Platform
	// fresh are the defaults and bundles evaluated by this build before
	// the cache was read (per-bundle keys need their catalog), if they were.
	fresh   *model.Platform
	dirKeys []cache.Key     // the first key of each directory (keys.dir)
	files   [][]render.File // by directory of in.Dirs
	entries []entry         // by directory: what is cached once it is done
	cached  [][]*model.Cluster
	missed  []int // the directories to evaluate, indices into in.Dirs
}

func (b *build) run(ctx context.Context) error {
	b.keys = newKeys(b.in, b.opts.Env, b.opts.Placeholders)
	b.store = store{c: b.opts.Cache, seal: sealKey(secrets(b.in.Tags, b.opts.Env))}
	if b.opts.KeepValues || b.opts.Cluster != "" {
		// Values are not cached, and a cluster is found by name in the
		// loaded files.
		b.store.c = nil
	}
	b.readCache(ctx)
	if len(b.missed) > 0 || b.p == nil {
		if err := b.evaluate(ctx); err != nil {
			return err
		}
	}
	if len(b.p.Clusters) == 0 {
		return load.NoClusters(b.in, b.opts.Patterns)
	}
	return b.finish()
}

// readCache takes the platform and every directory it can from the cache;
// the others are missed.
func (b *build) readCache(ctx context.Context) {
	n := len(b.in.Dirs)
	b.dirKeys = make([]cache.Key, n)
	b.files = make([][]render.File, n)
	b.cached = make([][]*model.Cluster, n)
	hits := make([]bool, n)
	if b.store.c != nil {
		b.p = b.store.platform(ctx, b.keys.platform())
	}
	if b.store.c != nil && b.keys.perBundle() {
		b.readCatalog(ctx)
	}
	for i, d := range b.in.Dirs {
		b.dirKeys[i] = b.keys.dir(b.in.Root, d)
	}
	if b.p != nil {
		// Entries are read in parallel: a warm build is mostly this.
		var wg sync.WaitGroup
		slots := make(chan struct{}, 8)
		for i := range b.in.Dirs {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				if k, ok := b.entryKey(ctx, i); ok {
					b.cached[i], b.files[i], hits[i] = b.store.dir(ctx, k)
				}
			})
		}
		wg.Wait()
	}
	var fromCache []*model.Cluster
	for i := range b.in.Dirs {
		if !hits[i] {
			b.missed = append(b.missed, i)
			continue
		}
		b.res.Cached += len(b.cached[i])
		fromCache = append(fromCache, b.cached[i]...)
	}
	if b.p != nil {
		b.p.Clusters = fromCache
	}
}

// readCatalog sets the catalog of the bundles, which per-bundle keys
// depend on: from the cached platform, or else from the defaults and
// bundles evaluated now, and cached. If they have errors, the cache is not
// used: evaluate reports them with every other error.
func (b *build) readCatalog(ctx context.Context) {
	if b.p == nil {
		p, err := defaults(ctx, b.in, b.opts)
		if err != nil {
			b.store.c = nil
			return
		}
		b.store.putPlatform(b.keys.platform(), p)
		b.fresh = p
		b.p = &model.Platform{Defaults: p.Defaults, Bundles: p.Bundles}
	}
	b.keys.catalog = catalogKey(b.p.Bundles)
}

// entryKey is the key of directory i's entry: its first key, or with
// per-bundle keys, the key the bundles recorded under the first give; not
// ok if none are recorded.
func (b *build) entryKey(ctx context.Context, i int) (cache.Key, bool) {
	if !b.keys.perBundle() {
		return b.dirKeys[i], true
	}
	data, ok := b.store.get(ctx, b.dirKeys[i])
	var names []string
	if !ok || json.Unmarshal(data, &names) != nil {
		return cache.Key{}, false
	}
	return b.keys.withBundles(b.dirKeys[i], names), true
}

// loadBatch is how many directories are loaded at a time: evaluation
// starts once the first are loaded, and the parsed files of a directory
// are let go once it is evaluated, so that a build never holds those of
// every cluster (at 1,000 clusters they were most of the live heap, which
// the garbage collector scans again and again).
const loadBatch = 32

// evaluate loads and evaluates the defaults and the missed directories,
// rendering and caching each directory as soon as it is evaluated.
func (b *build) evaluate(ctx context.Context) error {
	dirs := make([]string, len(b.missed))
	for j, i := range b.missed {
		dirs[j] = b.in.Dirs[i].Dir
	}
	batch := cmp.Or(b.opts.LoadBatch, loadBatch)
	if b.opts.Cluster != "" {
		batch = len(dirs) // the cluster is found among them all
	}
	loadOpts := load.Options{Env: b.opts.Env, Placeholders: b.opts.Placeholders}
	first := min(batch, len(dirs))
	lp, err := load.Load(b.in.Root, dirs[:first], loadOpts)
	if err != nil {
		// Every error at once: those of the other directories too.
		if more := loadErrors(b.in.Root, dirs[first:], batch, loadOpts); more != nil {
			return cueerrors.Append(cueerrors.Promote(err, ""), more)
		}
		return err
	}
	if b.opts.Cluster != "" {
		if err := b.narrow(lp); err != nil {
			return err
		}
	}
	defaults := b.fresh
	if defaults == nil {
		if defaults, err = eval.Defaults(ctx, lp); err != nil {
			return err
		}
	}
	if b.p == nil {
		b.store.putPlatform(b.keys.platform(), defaults)
	}
	// The fresh defaults, rather than the cached ones, carry the positions
	// the checks report at.
	fromCache := []*model.Cluster{}
	if b.p != nil {
		fromCache = b.p.Clusters
	}
	b.p = defaults
	b.p.Clusters = fromCache

	// The other directories are loaded while the first are evaluated.
	batches := make(chan []*load.ClusterDir, 1)
	batches <- lp.Clusters
	var (
		loadErr  cueerrors.Error
		declared []load.Declared // of every loaded directory
		unset    []load.Unset
		loaded   = make(chan struct{})
	)
	keep := func(lp *load.Platform) {
		for _, d := range lp.Clusters {
			declared = append(declared, d.Declared...)
		}
		if lp.Secrets != nil {
			unset = append(unset, lp.Secrets.Unset...)
		}
	}
	keep(lp)
	lp = nil
	go func() {
		defer close(loaded)
		defer close(batches)
		for start := first; start < len(dirs); start += batch {
			next, err := load.Load(b.in.Root, dirs[start:min(start+batch, len(dirs))], loadOpts)
			if err != nil {
				loadErr = cueerrors.Append(loadErr, cueerrors.Promote(err, ""))
				continue
			}
			if loadErr != nil {
				continue // load the rest only for their errors
			}
			keep(next)
			select {
			case batches <- next.Clusters:
			case <-ctx.Done():
				return
			}
		}
	}()
	var renderErr error
	b.entries = make([]entry, len(b.in.Dirs))
	failed := make([]bool, len(b.in.Dirs))
	done := func(j int, r *eval.DirResult, last bool) {
		i := b.missed[j]
		failed[i] = failed[i] || r.Err != nil
		if failed[i] || renderErr != nil {
			return
		}
		renderErr = b.render(i, r.Clusters, last)
	}
	results, err := eval.ClustersFrom(ctx, batches, eval.Options{Workers: b.opts.Workers, Progress: b.opts.Progress, Done: done})
	if err != nil {
		return err
	}
	<-loaded
	if loadErr != nil {
		return loadErr
	}
	if err := eval.Declared(declared, fromCache); err != nil {
		return err
	}
	var errs cueerrors.Error
	for _, r := range results {
		errs = cueerrors.Append(errs, r.Err)
	}
	if b.opts.Placeholders && len(unset) > 0 {
		var notes cueerrors.Error
		notes, errs = placeholderErrors(errs, unset)
		b.res.Notes = cueerrors.Append(b.res.Notes, notes)
	}
	if errs != nil {
		return errs
	}
	if renderErr != nil {
		return renderErr
	}
	for _, r := range results {
		b.res.Evaluated += len(r.Clusters)
		b.p.Clusters = append(b.p.Clusters, r.Clusters...)
	}
	return nil
}

// loadErrors loads dirs, batch by batch, only for their errors.
func loadErrors(root string, dirs []string, batch int, opts load.Options) cueerrors.Error {
	var errs cueerrors.Error
	for start := 0; start < len(dirs); start += batch {
		if _, err := load.Load(root, dirs[start:min(start+batch, len(dirs))], opts); err != nil {
			errs = cueerrors.Append(errs, cueerrors.Promote(err, ""))
		}
	}
	return errs
}

// narrow keeps, of the loaded directories, those declaring the cluster
// asked for.
func (b *build) narrow(lp *load.Platform) error {
	declaring := lp.Declaring(b.opts.Cluster)
	if len(declaring) == 0 {
		return &NoClusterError{Name: b.opts.Cluster, Known: lp.Names()}
	}
	var missed []int
	for j, d := range lp.Clusters {
		if slices.Contains(declaring, d) {
			missed = append(missed, b.missed[j])
		}
	}
	lp.Clusters, b.missed = declaring, missed
	return nil
}

// render renders clusters of directory i, and caches the directory once
// it is done (last). Unless values are kept, they are dropped: a build
// holds the rendered files, not every cluster's values as well.
func (b *build) render(i int, clusters []*model.Cluster, last bool) error {
	e := &b.entries[i]
	for _, c := range clusters {
		fs, err := render.Cluster(b.p, c)
		if err != nil {
			return err
		}
		b.files[i] = append(b.files[i], fs...)
		e.add(c, fs)
		if !b.opts.KeepValues {
			c.Values = nil
		}
	}
	if last {
		data, err := e.encode()
		key := b.dirKeys[i]
		if b.keys.perBundle() {
			names := e.bundles()
			list, _ := json.Marshal(names)
			b.store.put(key, list, nil)
			key = b.keys.withBundles(key, names)
		}
		b.store.put(key, data, err)
		*e = entry{}
	}
	return nil
}

// finish runs the checks that need every cluster and renders what depends
// on all of them.
func (b *build) finish() error {
	eval.SortClusters(b.p.Clusters)
	if err := eval.Check(b.p); err != nil {
		return err
	}
	platformFiles, err := render.Platform(b.p)
	if err != nil {
		return err
	}
	res := b.res
	res.Platform = b.p
	res.Complete = b.in.Complete && b.opts.Cluster == ""
	res.ClusterFiles = slices.Concat(b.files...)
	render.Sort(res.ClusterFiles)
	res.Files = slices.Concat(res.ClusterFiles, platformFiles)
	render.Sort(res.Files)
	return confined(res.Files, b.opts.Redactor, b.in.TagPos)
}

// confined checks that no secret reaches a file other than an app's values:
// a label, an annotation or a setting in a TKC, a registration or an
// ApplicationSet is read by many, and kept in no secret store.
func confined(files []render.File, r *redact.Redactor, at map[string]token.Pos) error {
	var errs cueerrors.Error
	for _, f := range files {
		if render.IsValues(f.Path) {
			continue
		}
		if name, ok := r.Find(f.Data); ok {
			errs = cueerrors.Append(errs, cueerrors.Newf(at[name],
				"secret %s would be written into %s: secrets may reach only apps' values files (%s); read it in an app's values instead",
				name, f.Path, render.ValuesPathPattern))
		}
	}
	return errs
}

// placeholderErrors splits errs into the errors a placeholder caused (one
// of their positions is in a field that reads an unset variable) and the
// others.
func placeholderErrors(errs cueerrors.Error, unset []load.Unset) (notes, rest cueerrors.Error) {
	for _, e := range cueerrors.Errors(errs) {
		if name, ok := causedBy(e, unset); ok {
			format, args := e.Msg()
			notes = cueerrors.Append(notes, &note{e: e, msg: fmt.Sprintf("not checked, %s is not set: %s", name, fmt.Sprintf(format, args...))})
			continue
		}
		rest = cueerrors.Append(rest, e)
	}
	return notes, rest
}

func causedBy(e cueerrors.Error, unset []load.Unset) (string, bool) {
	for _, p := range cueerrors.Positions(e) {
		for _, u := range unset {
			for _, f := range u.Fields {
				if f.Contains(p) {
					return u.Name, true
				}
			}
		}
	}
	return "", false
}

// note is an error reworded as a note.
type note struct {
	e   cueerrors.Error
	msg string
}

func (n *note) Position() token.Pos         { return n.e.Position() }
func (n *note) InputPositions() []token.Pos { return n.e.InputPositions() }
func (n *note) Path() []string              { return n.e.Path() }
func (n *note) Msg() (string, []any)        { return "%s", []any{n.msg} }
func (n *note) Error() string               { return n.msg }

// ClusterNames returns the names of the clusters opts selects, read from
// the files without evaluating them (shell completion), sorted.
func ClusterNames(opts Options) ([]string, error) {
	in, err := load.Scan(load.Config{Dir: opts.Dir, Patterns: opts.Patterns})
	if err != nil {
		return nil, err
	}
	dirs := make([]string, len(in.Dirs))
	for i, d := range in.Dirs {
		dirs[i] = d.Dir
	}
	lp, err := load.Load(in.Root, dirs, load.Options{Env: opts.Env, Placeholders: true})
	if err != nil {
		return nil, err
	}
	return lp.Names(), nil
}
