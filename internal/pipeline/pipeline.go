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
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	cuebuild "cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/redact"
	"github.com/platformc/platformc/internal/render"
	"github.com/platformc/platformc/internal/scaffold"
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
	// NoSharing evaluates every app's values in each cluster, rather than
	// once per distinct input where they can be shared (eval.Shared).
	// The result does not depend on it.
	NoSharing bool
	// Skip, if set, is asked, once the inputs are read and hashed and
	// before anything is evaluated, whether a complete build needs doing:
	// it is given the build's Stamp, and if it says no (true: skip), Run
	// evaluates nothing and returns a Result with Skipped set. It is not
	// asked for a partial selection.
	Skip func(stamp []byte) bool
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
	// from the cache. Partly are those of Evaluated evaluated only for the
	// apps of the bundles that changed, the rest from the cache.
	Evaluated, Cached, Partly int
	// Shared counts the apps' values taken from another cluster's
	// evaluation, as the same inputs give the same values (eval.Shared).
	Shared int
	// Stamp identifies, for a complete selection, every input of the
	// build (see stamp): builds with the same stamp make the same Files.
	// Nil for a partial one.
	Stamp []byte
	// Skipped says that Options.Skip said the build was not needed:
	// nothing was evaluated, and Platform and Files are nil.
	Skipped bool
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
	if in.Complete && opts.Cluster == "" {
		res.Stamp = stamp(in, opts.Env, opts.Placeholders)
		if opts.Skip != nil && opts.Skip(res.Stamp) {
			res.Complete, res.Skipped = true, true
			return res, nil
		}
	}
	b := &build{in: in, opts: opts, res: res}
	err = b.run(ctx)
	if err != nil && ctx.Err() == nil && (opts.Cache != nil && (res.Cached > 0 || b.reused) || b.shared.Used()) {
		// Clusters from the cache carry no source positions, those
		// evaluated in part were not checked whole, and values shared
		// between clusters were evaluated outside them: find the errors
		// again without either, so that each is reported where it is.
		opts.Cache, opts.NoSharing = nil, true
		*res = Result{Root: in.Root, Unset: res.Unset}
		b = &build{in: in, opts: opts, res: res}
		err = b.run(ctx)
	}
	if b.shared != nil {
		res.Shared = b.shared.Served()
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
	// reuse are, by directory, what a missed directory keeps of its
	// earlier entry: set where the entry missed only because bundles its
	// clusters enable changed.
	reuse []*reuse
	// reused says that some directory was evaluated only in part: an
	// error found then is looked for again without the cache.
	reused bool
	// schemaReads: see schemaReadsValues.
	schemaOnce  sync.Once
	schemaReads bool
	// shared evaluates the values of apps many clusters share, if any
	// (see share); wirings are the variants of the wiring made so far
	// (see wiring).
	shareOnce sync.Once
	shared    *eval.Shared
	wirings   map[string]parsedWiring
	docs      *render.Documents // of shared's values
}

// reuse is what a directory keeps of an earlier build when only bundles
// its clusters enable have changed since (their files, not the catalog:
// then the directory's first key would differ): the apps of those bundles
// are evaluated again, everything else of its clusters (their model, their
// other apps' values files, their registrations and TKCs) is the earlier
// entry's. Each app's values read only its own bundle's file of the bundle
// files (see load.Inputs.Bundles), the files every cluster reads and the
// cluster's own: that is what makes this sound.
type reuse struct {
	clusters []*model.Cluster
	files    [][]render.File // by cluster
	bundles  []string        // the bundles that changed, sorted
	apps     map[string]bool // their apps
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
	b.reuse = make([]*reuse, n)
	if b.p != nil {
		// Entries are read in parallel: a warm build is mostly this.
		var wg sync.WaitGroup
		slots := make(chan struct{}, 8)
		for i := range b.in.Dirs {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				k, rec, ok := b.entryKey(ctx, i)
				if !ok {
					return
				}
				b.cached[i], b.files[i], hits[i] = b.store.dir(ctx, k)
				if !hits[i] && rec != nil {
					b.reuse[i] = b.reusable(ctx, i, rec)
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
// per-bundle keys, the key the bundles recorded under the first give,
// with the record; not ok if none are recorded.
func (b *build) entryKey(ctx context.Context, i int) (cache.Key, *dirRecord, bool) {
	if !b.keys.perBundle() {
		return b.dirKeys[i], nil, true
	}
	data, ok := b.store.get(ctx, b.dirKeys[i])
	var rec dirRecord
	if !ok || json.Unmarshal(data, &rec) != nil {
		return cache.Key{}, nil, false
	}
	return b.keys.withBundles(b.dirKeys[i], rec.Bundles), &rec, true
}

// reusable returns what directory i keeps of the entry rec was recorded
// with, if only bundles changed since and every cluster of it is deployed
// by ArgoCD (a Sveltos control plane's values ConfigMaps are evaluated
// again whole); nil otherwise.
func (b *build) reusable(ctx context.Context, i int, rec *dirRecord) *reuse {
	r := &reuse{apps: map[string]bool{}}
	for _, n := range rec.Bundles {
		if rec.Sums[n] != b.keys.bundles[n] {
			r.bundles = append(r.bundles, n)
			bundle, ok := b.p.Bundles[n]
			if !ok {
				return nil
			}
			for a := range bundle.Apps {
				r.apps[a] = true
			}
		}
	}
	if len(r.bundles) == 0 {
		return nil // evicted, or written by another build: nothing to start from
	}
	data, ok := b.store.get(ctx, withSums(b.dirKeys[i], rec.Bundles, rec.Sums))
	if !ok {
		return nil
	}
	clusters, files, err := decodeClusters(data)
	if err != nil {
		return nil
	}
	for _, c := range clusters {
		if cp, ok := b.p.ControlPlaneOf(c.Env); !ok || cp.Sveltos() {
			return nil
		}
	}
	r.clusters, r.files = clusters, files
	return r
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
	chunks, err := b.chunks()
	if err != nil {
		return err
	}
	loadOpts := load.Options{Env: b.opts.Env, Placeholders: b.opts.Placeholders}
	lp, err := b.load(chunks[0], loadOpts)
	if err != nil {
		// Every error at once: those of the other directories too.
		if more := b.loadErrors(chunks[1:], loadOpts); more != nil {
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
		for _, c := range chunks[1:] {
			next, err := b.load(c, loadOpts)
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
		if b.reuse[i] != nil {
			renderErr = b.renderReused(i, r.Clusters, last)
			return
		}
		renderErr = b.render(i, r.Clusters, last)
	}
	results, err := eval.ClustersFrom(ctx, batches, eval.Options{Workers: b.opts.Workers, Progress: b.opts.Progress, Done: done, Shared: b.shared})
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

// chunk is a run of the missed directories loaded at once: b.missed[start:end].
type chunk struct {
	start, end int
	// wiring and only, for directories evaluated in part (see reuse): the
	// wiring that reads the values of only the apps only, parsed.
	wiring *ast.File
	only   map[string]bool
}

// chunks orders b.missed (the directories evaluated whole first, then
// those evaluated in part, by the bundles that changed) and cuts it into
// chunks of at most Options.LoadBatch directories; there is at least one.
func (b *build) chunks() ([]chunk, error) {
	groups := map[string][]int{}
	var whole []int
	for _, i := range b.missed {
		if ru := b.reuse[i]; ru != nil {
			b.reused = true
			k := strings.Join(ru.bundles, "\x00")
			groups[k] = append(groups[k], i)
			continue
		}
		whole = append(whole, i)
	}
	batch := cmp.Or(b.opts.LoadBatch, loadBatch)
	if b.opts.Cluster != "" {
		batch = max(len(b.missed), 1) // the cluster is found among them all
	}
	var chunks []chunk
	cut := func(dirs []int, wiring *ast.File, only map[string]bool) {
		start := len(chunks)
		if start > 0 {
			start = chunks[len(chunks)-1].end
		}
		for j := 0; j < len(dirs); j += batch {
			chunks = append(chunks, chunk{start: start + j, end: start + min(j+batch, len(dirs)), wiring: wiring, only: only})
		}
	}
	cut(whole, nil, nil)
	b.missed = whole
	for _, k := range slices.Sorted(maps.Keys(groups)) {
		dirs := groups[k]
		ru := b.reuse[dirs[0]]
		wiring, err := b.wiring(ru.bundles, nil)
		if err != nil {
			return nil, err
		}
		cut(dirs, wiring, ru.apps)
		b.missed = append(b.missed, dirs...)
	}
	if len(chunks) == 0 {
		chunks = append(chunks, chunk{}) // the defaults alone
	}
	return chunks, nil
}

// load loads the directories of c, with its wiring if it has one.
func (b *build) load(c chunk, opts load.Options) (*load.Platform, error) {
	dirs := make([]string, 0, c.end-c.start)
	for _, i := range b.missed[c.start:c.end] {
		dirs = append(dirs, b.in.Dirs[i].Dir)
	}
	lp, err := load.Load(b.in.Root, dirs, opts)
	if err != nil {
		return lp, err
	}
	b.startSharing(lp)
	if c.wiring == nil {
		b.share(lp)
		return lp, nil
	}
	if len(lp.Clusters) != c.end-c.start {
		return nil, errReuse
	}
	schemaReads := b.schemaReadsValues(lp.Schema)
	for j, d := range lp.Clusters {
		inst := d.Instance
		i := b.missed[c.start+j]
		if inst.Dir != b.in.Dirs[i].Dir {
			return nil, errReuse
		}
		if schemaReads || d.ReadsValues(c.wiring.Filename) {
			// Its apps' values, or its checks, may read other apps'
			// values: evaluated whole. (Set before the directory is sent
			// to be evaluated.)
			b.reuse[i] = nil
			continue
		}
		k := slices.IndexFunc(inst.Files, func(f *ast.File) bool { return f.Filename == c.wiring.Filename })
		if k < 0 {
			return nil, errReuse
		}
		inst.Files = slices.Clone(inst.Files)
		inst.Files[k] = c.wiring
		d.Only = c.only
		if apps := b.sharedApps(d, c.only); len(apps) > 0 {
			if wiring, err := b.wiring(b.reuse[i].bundles, apps); err == nil {
				inst.Files[k] = wiring
				d.Shared = set(apps)
			}
		}
	}
	return lp, nil
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// startSharing decides, once per build, whether the values of some apps
// are evaluated once per distinct input (eval.Shared) rather than in each
// cluster. Nothing is shared where that could change a value: an app
// whose values read the cluster's name or the whole view
// (eval.NewShared), a build where a schema/ file of the team's own
// mentions values, variables are unset (placeholders would be
// evaluated), or the wiring is not platformc's; and, per directory, see
// sharedApps.
func (b *build) startSharing(lp *load.Platform) {
	b.shareOnce.Do(func() {
		if b.opts.NoSharing || b.opts.Cluster != "" || b.opts.Placeholders && len(b.res.Unset) > 0 ||
			b.in.Wiring == nil || lp.Bundles == nil || lp.Schema == nil {
			return
		}
		for _, f := range lp.Schema.Files {
			src, err := format.Node(f)
			if err != nil || !scaffold.IsSchemaFile(f.Filename, src) && load.MentionsValues(f) {
				return
			}
		}
		if sh := eval.NewShared(load.ViewReads(lp.Bundles.Files)); len(sh.Apps()) > 0 {
			b.shared, b.docs = sh, render.NewDocuments(sh.Has)
		}
	})
}

// share marks, in the directories of lp, evaluated whole, the apps whose
// values are shared (sharedApps), and gives them the wiring that leaves
// those out.
func (b *build) share(lp *load.Platform) {
	for _, d := range lp.Clusters {
		apps := b.sharedApps(d, nil)
		k := slices.IndexFunc(d.Instance.Files, func(f *ast.File) bool { return f.Filename == b.wiringName() })
		if len(apps) == 0 || k < 0 {
			continue
		}
		if wiring, err := b.wiring(nil, apps); err == nil {
			d.Instance.Files = slices.Clone(d.Instance.Files)
			d.Instance.Files[k] = wiring
			d.Shared = set(apps)
		}
	}
}

// sharedApps are the apps (of only, if set) whose values directory d
// shares: not where its files read values or may set the app's
// (load.ClusterDir.SetsValues), nor an app whose values turned out to
// differ on most clusters (eval.Shared.Worth).
func (b *build) sharedApps(d *load.ClusterDir, only map[string]bool) []string {
	if b.shared == nil {
		return nil
	}
	if d.ReadsValues(b.wiringName()) {
		return nil
	}
	sets, all := d.SetsValues(b.wiringName())
	if all {
		return nil
	}
	var apps []string
	for _, a := range b.shared.Apps() {
		if !sets[a] && (only == nil || only[a]) && b.shared.Worth(a) {
			apps = append(apps, a)
		}
	}
	return apps
}

// wiringName is the file name of the platform's wiring,
// clusters/clusters.cue.
func (b *build) wiringName() string {
	return filepath.Join(b.in.Root, load.ClustersDir, load.WiringFile)
}

// wiring is the wiring that reads the values of the apps of bundles (all,
// if nil) but apps (none, if nil), parsed once per build.
func (b *build) wiring(bundles, apps []string) (*ast.File, error) {
	key := strings.Join(bundles, "\x00") + "\x01" + strings.Join(apps, "\x00")
	if w, ok := b.wirings[key]; ok {
		return w.file, w.err
	}
	var src []byte
	var err error
	if bundles == nil {
		src, err = scaffold.WiringWithout(b.in.Wiring, apps)
	} else {
		src, err = scaffold.WiringOnlyWithout(b.in.Wiring, bundles, apps)
	}
	var f *ast.File
	if err == nil {
		f, err = parser.ParseFile(b.wiringName(), src, parser.ParseComments)
	}
	if b.wirings == nil {
		b.wirings = map[string]parsedWiring{}
	}
	b.wirings[key] = parsedWiring{f, err}
	return f, err
}

type parsedWiring struct {
	file *ast.File
	err  error
}

// schemaReadsValues reports whether a file of the platform's schema/
// that platformc did not write could read a cluster's values (see
// load.ReadsValues): a check of the team's own on #Cluster that reads an
// app's values must see them all. Found once per build.
func (b *build) schemaReadsValues(schema *cuebuild.Instance) bool {
	b.schemaOnce.Do(func() {
		for _, f := range schema.Files {
			src, err := format.Node(f)
			if err != nil || !scaffold.IsSchemaFile(f.Filename, src) && load.ReadsValues(f) {
				b.schemaReads = true
				return
			}
		}
	})
	return b.schemaReads
}

// loadErrors loads the directories of chunks only for their errors.
func (b *build) loadErrors(chunks []chunk, opts load.Options) cueerrors.Error {
	var errs cueerrors.Error
	for _, c := range chunks {
		if _, err := b.load(c, opts); err != nil {
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

// renderReused renders, of the clusters of directory i evaluated only in
// part (see reuse), the values of the apps evaluated, takes the rest from
// the earlier entry, and caches the directory once it is done (last). The
// clusters become the earlier entry's, which their models are.
func (b *build) renderReused(i int, clusters []*model.Cluster, last bool) error {
	ru := b.reuse[i]
	e := &b.entries[i]
	for k, fresh := range clusters {
		j := slices.IndexFunc(ru.clusters, func(c *model.Cluster) bool { return c.Name == fresh.Name })
		if j < 0 {
			return errReuse
		}
		c := *ru.clusters[j]
		c.Values = fresh.Values
		var files []render.File
		for _, f := range ru.files[j] {
			if app, ok := render.ValuesApp(f.Path); ok && ru.apps[path.Base(app)] {
				continue // evaluated again
			}
			files = append(files, f)
		}
		for _, a := range b.p.Apps(&c) {
			if !ru.apps[a.Name] {
				continue
			}
			if _, ok := c.Values[a.Name]; !ok {
				return errReuse
			}
			f, err := render.AppValuesWith(&c, a, b.docs)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		b.files[i] = append(b.files[i], files...)
		e.add(&c, files)
		if !b.opts.KeepValues {
			c.Values = nil
		}
		clusters[k] = &c
		b.res.Partly++
	}
	if last {
		b.cacheDir(i)
	}
	return nil
}

// errReuse says that a directory evaluated in part did not give what its
// earlier entry needs: the build is done again without the cache.
var errReuse = errors.New("a cluster evaluated in part does not match its cache entry")

// render renders clusters of directory i, and caches the directory once
// it is done (last). Unless values are kept, they are dropped: a build
// holds the rendered files, not every cluster's values as well.
func (b *build) render(i int, clusters []*model.Cluster, last bool) error {
	e := &b.entries[i]
	for _, c := range clusters {
		fs, err := render.ClusterWith(b.p, c, b.docs)
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
		b.cacheDir(i)
	}
	return nil
}

// cacheDir caches directory i, whose clusters are all rendered.
func (b *build) cacheDir(i int) {
	e := &b.entries[i]
	data, err := e.encode()
	key := b.dirKeys[i]
	if b.keys.perBundle() {
		names := e.bundles()
		rec, _ := json.Marshal(dirRecord{Bundles: names, Sums: b.keys.sums(names)})
		b.store.put(key, rec, nil)
		key = b.keys.withBundles(key, names)
	}
	b.store.put(key, data, err)
	*e = entry{}
}

// finish runs the checks that need every cluster and renders what depends
// on all of them.
func (b *build) finish() error {
	eval.SortClusters(b.p.Clusters)
	// The checks, the platform's files and the gathering of the clusters'
	// files read the platform and do not depend on one another: a warm
	// build is little else, so they run side by side.
	var (
		wg                  sync.WaitGroup
		checkErr, renderErr error
		platformFiles       []render.File
	)
	wg.Go(func() { checkErr = eval.Check(b.p) })
	wg.Go(func() { platformFiles, renderErr = render.Platform(b.p) })
	res := b.res
	res.ClusterFiles = slices.Concat(b.files...)
	render.Sort(res.ClusterFiles)
	wg.Wait()
	if checkErr != nil {
		res.ClusterFiles = nil
		return checkErr
	}
	if renderErr != nil {
		res.ClusterFiles = nil
		return renderErr
	}
	res.Platform = b.p
	res.Complete = b.in.Complete && b.opts.Cluster == ""
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
