// Package pipeline runs load → evaluate → render for the commands, with
// the build cache between them: a cluster directory whose inputs are
// unchanged since a previous build is not evaluated again, its rendered
// files come from the cache.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/render"
)

// Options say what to build and how.
type Options struct {
	// Dir and Patterns select the clusters, as in load.Config.
	Dir      string
	Patterns []string
	// Workers is the number of directories evaluated at once (0: GOMAXPROCS).
	Workers int
	// Cache, if set, serves and stores evaluated cluster directories.
	Cache *cache.Cache
	// Progress, if set, is told how many directories are evaluated.
	Progress func(done, total int)
	// Env looks up the environment variables secrets come from (@tag);
	// nil means os.LookupEnv.
	Env load.Env
}

// Result is a built platform. Its clusters carry no Values: they are
// rendered into Files as soon as evaluated (eval.Platform keeps them).
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
	// Secrets are the values read from the environment, by variable, when
	// some cluster was evaluated: what to redact in anything printed.
	Secrets map[string]string
	// Evaluated and Cached count the cluster directories evaluated and
	// served from the cache.
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

// Run builds the clusters opts selects. Errors in the platform, patterns
// that select no cluster among them, are cue/errors lists with positions;
// a bad pattern is a *load.UsageError.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Env == nil {
		opts.Env = os.LookupEnv
	}
	in, err := load.Scan(load.Config{Dir: opts.Dir, Patterns: opts.Patterns})
	if err != nil {
		if in != nil {
			return errResult(in, nil), err
		}
		return nil, err
	}
	res, err := run(ctx, in, opts)
	if err != nil && ctx.Err() == nil && opts.Cache != nil && res != nil && res.Cached > 0 {
		// Clusters from the cache carry no source positions: find the
		// errors again without it, so that each is reported where it is.
		opts.Cache = nil
		res, err = run(ctx, in, opts)
	}
	if err != nil {
		return errResult(in, res), err
	}
	return res, nil
}

func errResult(in *load.Inputs, res *Result) *Result {
	if res == nil {
		res = &Result{}
	}
	if res.Secrets == nil {
		res.Secrets = map[string]string{}
		for _, name := range in.Tags {
			if v, ok := os.LookupEnv(name); ok {
				res.Secrets[name] = v
			}
		}
	}
	res.Root = in.Root
	return res
}

// entry is what the cache holds for one cluster directory: its clusters
// (without values) and their rendered files. It is encoded as a JSON
// header followed by the files' bytes, which JSON would have to escape.
type entry struct {
	Clusters []cachedCluster `json:"clusters"`
	data     [][]byte
}

type cachedCluster struct {
	Cluster *model.Cluster `json:"cluster"`
	Files   []cachedFile   `json:"files"`
}

type cachedFile struct {
	Path string `json:"path"`
	Size int    `json:"size"`
}

func (e *entry) add(c *model.Cluster, files []render.File) {
	cc := cachedCluster{Cluster: c}
	for _, f := range files {
		cc.Files = append(cc.Files, cachedFile{Path: f.Path, Size: len(f.Data)})
		e.data = append(e.data, f.Data)
	}
	e.Clusters = append(e.Clusters, cc)
}

func (e *entry) encode() ([]byte, error) {
	header, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	out := binary.AppendUvarint(nil, uint64(len(header)))
	out = append(out, header...)
	for _, d := range e.data {
		out = append(out, d...)
	}
	return out, nil
}

// decodeEntry reverses encode; any inconsistency is an error (a miss).
func decodeEntry(data []byte) ([]*model.Cluster, []render.File, error) {
	n, k := binary.Uvarint(data)
	if k <= 0 || uint64(len(data)-k) < n {
		return nil, nil, errors.New("bad header")
	}
	var e entry
	if err := json.Unmarshal(data[k:k+int(n)], &e); err != nil {
		return nil, nil, err
	}
	rest := data[k+int(n):]
	var clusters []*model.Cluster
	var files []render.File
	for _, cc := range e.Clusters {
		if cc.Cluster == nil {
			return nil, nil, errors.New("no cluster")
		}
		clusters = append(clusters, cc.Cluster)
		for _, f := range cc.Files {
			if f.Size < 0 || f.Size > len(rest) {
				return nil, nil, errors.New("short entry")
			}
			files = append(files, render.File{Path: f.Path, Data: rest[:f.Size:f.Size]})
			rest = rest[f.Size:]
		}
	}
	if len(rest) != 0 {
		return nil, nil, errors.New("trailing data")
	}
	return clusters, files, nil
}

// platformEntry is what the cache holds for the defaults and bundles.
type platformEntry struct {
	Defaults model.Defaults           `json:"defaults"`
	Bundles  map[string]*model.Bundle `json:"bundles"`
}

func run(ctx context.Context, in *load.Inputs, opts Options) (*Result, error) {
	res := &Result{Root: in.Root, Secrets: map[string]string{}}
	for _, name := range in.Tags {
		if v, ok := opts.Env(name); ok {
			res.Secrets[name] = v
		}
	}
	version := toolVersion()
	secrets := secretsKey(in.Tags, opts.Env)
	platformKey := cache.NewKey([]byte("platform"), version, in.Shared[:], secrets)
	dirKeys := make([]cache.Key, len(in.Dirs))
	var p *model.Platform
	files := make([][]render.File, len(in.Dirs))
	var missed []int
	if opts.Cache != nil {
		if data, ok := opts.Cache.Get(ctx, platformKey); ok {
			var pe platformEntry
			if json.Unmarshal(data, &pe) == nil {
				model.LinkApps(pe.Bundles, pe.Defaults)
				p = &model.Platform{Defaults: pe.Defaults, Bundles: pe.Bundles}
			}
		}
	}
	hits := make([]bool, len(in.Dirs))
	cached := make([][]*model.Cluster, len(in.Dirs))
	for i, d := range in.Dirs {
		rel, _ := filepath.Rel(in.Root, d.Dir)
		dirKeys[i] = cache.NewKey([]byte("dir"), version, in.Shared[:], secrets, d.Hash[:], []byte(filepath.ToSlash(rel)))
	}
	if opts.Cache != nil && p != nil {
		// Entries are read in parallel: a warm build is mostly this.
		var wg sync.WaitGroup
		slots := make(chan struct{}, 8)
		for i := range in.Dirs {
			wg.Go(func() {
				slots <- struct{}{}
				defer func() { <-slots }()
				cached[i], files[i], hits[i] = lookup(ctx, opts.Cache, dirKeys[i])
			})
		}
		wg.Wait()
	}
	var fromCache []*model.Cluster
	for i := range in.Dirs {
		if !hits[i] {
			missed = append(missed, i)
			continue
		}
		res.Cached++
		fromCache = append(fromCache, cached[i]...)
	}
	if p != nil {
		p.Clusters = fromCache
	}

	if len(missed) > 0 || p == nil {
		dirs := make([]string, len(missed))
		for j, i := range missed {
			dirs[j] = in.Dirs[i].Dir
		}
		lp, err := load.Load(in.Root, dirs, opts.Env)
		if err != nil {
			return res, err
		}
		defaults, err := eval.Defaults(ctx, lp)
		if err != nil {
			return res, err
		}
		if p == nil && opts.Cache != nil {
			data, err := json.Marshal(platformEntry{Defaults: defaults.Defaults, Bundles: defaults.Bundles})
			store(opts.Cache, platformKey, data, err)
		}
		// The fresh defaults, rather than the cached ones, carry the
		// positions the checks report at.
		p = defaults
		p.Clusters = fromCache
		if err := eval.Declarations(lp.Clusters, fromCache); err != nil {
			return res, err
		}
		// Each directory is rendered, and cached, as soon as it is
		// evaluated, and its clusters' values dropped: a build holds the
		// rendered files, not every cluster's values as well.
		var renderErr error
		done := func(j int, r *eval.DirResult) {
			if r.Err != nil || renderErr != nil {
				return
			}
			i := missed[j]
			var e entry
			for _, c := range r.Clusters {
				fs, err := render.Cluster(p, c)
				if err != nil {
					renderErr = err
					return
				}
				files[i] = append(files[i], fs...)
				c.Values = nil
				e.add(c, fs)
			}
			if opts.Cache != nil {
				data, err := e.encode()
				store(opts.Cache, dirKeys[i], data, err)
			}
		}
		results, err := eval.Clusters(ctx, lp.Clusters, eval.Options{Workers: opts.Workers, Progress: opts.Progress, Done: done})
		if err != nil {
			return res, err
		}
		if err := collect(results); err != nil {
			return res, err
		}
		if renderErr != nil {
			return res, renderErr
		}
		res.Evaluated = len(missed)
		for _, r := range results {
			p.Clusters = append(p.Clusters, r.Clusters...)
		}
	}
	if len(p.Clusters) == 0 {
		return res, load.NoClusters(in, opts.Patterns)
	}
	eval.SortClusters(p.Clusters)
	if err := eval.Check(p); err != nil {
		return res, err
	}
	platformFiles, err := render.Platform(p)
	if err != nil {
		return res, err
	}
	res.Platform = p
	res.Complete = in.Complete
	res.ClusterFiles = slices.Concat(files...)
	render.Sort(res.ClusterFiles)
	res.Files = slices.Concat(res.ClusterFiles, platformFiles)
	render.Sort(res.Files)
	return res, nil
}

// collect gathers the errors of every directory into one list.
func collect(results []eval.DirResult) error {
	var errs cueerrors.Error
	for _, r := range results {
		errs = cueerrors.Append(errs, r.Err)
	}
	if errs != nil {
		return errs
	}
	return nil
}

func lookup(ctx context.Context, c *cache.Cache, k cache.Key) ([]*model.Cluster, []render.File, bool) {
	data, ok := c.Get(ctx, k)
	if !ok {
		return nil, nil, false
	}
	clusters, files, err := decodeEntry(data)
	return clusters, files, err == nil
}

// store writes an entry; a cache that cannot be written only costs the
// next build its time, so the error is dropped.
func store(c *cache.Cache, k cache.Key, data []byte, err error) {
	if err == nil {
		_ = c.Put(k, data)
	}
}

var (
	versionOnce sync.Once
	versionSum  []byte
)

// secretsKey is the part of the cache keys the environment contributes:
// for every tag name the files may hold, a hash of the variable's value (or
// that it is unset). Values never enter the cache, only their hashes.
func secretsKey(tags []string, env load.Env) []byte {
	h := sha256.New()
	for _, name := range tags {
		v, ok := env(name)
		sum := sha256.Sum256([]byte(v))
		fmt.Fprintf(h, "%s\x00%t\x00%x\x00", name, ok, sum)
	}
	return h.Sum(nil)
}

// toolVersion identifies this build of platformc for the cache keys: the
// hash of its own executable, so that any change to the code (a release or
// a local build) makes earlier entries misses. Where the executable cannot
// be read, the module build info stands in.
func toolVersion() []byte {
	versionOnce.Do(func() {
		if exe, err := os.Executable(); err == nil {
			if data, err := os.ReadFile(exe); err == nil {
				sum := sha256.Sum256(data)
				versionSum = sum[:]
				return
			}
		}
		info, _ := debug.ReadBuildInfo()
		sum := sha256.Sum256([]byte(info.String()))
		versionSum = sum[:]
	})
	return versionSum
}
