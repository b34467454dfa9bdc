// Package pipeline runs load → evaluate → render for the commands, with
// the build cache between them: a cluster directory whose inputs are
// unchanged since a previous build is not evaluated again, its rendered
// files come from the cache.
package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/json"
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
	// Clusters served from it carry no Values (their files are cached
	// rendered): leave it nil where a command needs the values.
	Cache *cache.Cache
	// Progress, if set, is told how many directories are evaluated.
	Progress func(done, total int)
}

// Result is a built platform.
type Result struct {
	// Root is the module root, for reporting positions.
	Root     string
	Platform *model.Platform
	// Files are every rendered file, sorted by path.
	Files []render.File
	// Evaluated and Cached count the cluster directories evaluated and
	// served from the cache.
	Evaluated, Cached int
}

// ErrNoClusters says that the patterns matched no cluster.
type ErrNoClusters struct{}

func (ErrNoClusters) Error() string {
	return "no clusters matched; a cluster is declared as clusters: <name>: {...} in a directory under clusters/"
}

// Run builds the clusters opts selects. Errors in the platform are
// cue/errors lists with positions; a bad pattern is a *load.UsageError.
func Run(ctx context.Context, opts Options) (*Result, error) {
	in, err := load.Scan(load.Config{Dir: opts.Dir, Patterns: opts.Patterns})
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, in, opts)
	if err != nil && opts.Cache != nil && res != nil && res.Cached > 0 {
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
	res.Root = in.Root
	return res
}

// entry is what the cache holds for one cluster directory.
type entry struct {
	Clusters []cachedCluster `json:"clusters"`
}

type cachedCluster struct {
	Cluster *model.Cluster `json:"cluster"`
	Files   []cachedFile   `json:"files"`
}

type cachedFile struct {
	Path string `json:"path"`
	Data string `json:"data"`
}

// platformEntry is what the cache holds for the defaults and bundles.
type platformEntry struct {
	Defaults model.Defaults           `json:"defaults"`
	Bundles  map[string]*model.Bundle `json:"bundles"`
}

func run(ctx context.Context, in *load.Inputs, opts Options) (*Result, error) {
	res := &Result{Root: in.Root}
	version := toolVersion()
	platformKey := cache.NewKey([]byte("platform"), version, in.Shared[:])
	dirKeys := make([]cache.Key, len(in.Dirs))
	var p *model.Platform
	files := make([][]render.File, len(in.Dirs))
	var missed []int
	if opts.Cache != nil {
		if data, ok := opts.Cache.Get(platformKey); ok {
			var pe platformEntry
			if json.Unmarshal(data, &pe) == nil {
				p = &model.Platform{Defaults: pe.Defaults, Bundles: pe.Bundles}
			}
		}
	}
	for i, d := range in.Dirs {
		rel, _ := filepath.Rel(in.Root, d.Dir)
		dirKeys[i] = cache.NewKey([]byte("dir"), version, in.Shared[:], d.Hash[:], []byte(filepath.ToSlash(rel)))
		if opts.Cache == nil || p == nil {
			missed = append(missed, i)
			continue
		}
		clusters, fs, ok := lookup(opts.Cache, dirKeys[i])
		if !ok {
			missed = append(missed, i)
			continue
		}
		res.Cached++
		p.Clusters = append(p.Clusters, clusters...)
		files[i] = fs
	}

	if len(missed) > 0 || p == nil {
		dirs := make([]string, len(missed))
		for j, i := range missed {
			dirs[j] = in.Dirs[i].Dir
		}
		lp, err := load.Load(in.Root, dirs)
		if err != nil {
			return res, err
		}
		defaults, err := eval.Defaults(lp)
		if err != nil {
			return res, err
		}
		if p == nil {
			p = defaults
			if opts.Cache != nil {
				store(opts.Cache, platformKey, platformEntry{Defaults: p.Defaults, Bundles: p.Bundles})
			}
		}
		results, err := eval.Clusters(ctx, lp.Clusters, eval.Options{Workers: opts.Workers, Progress: opts.Progress})
		if err != nil {
			return res, err
		}
		if err := collect(results); err != nil {
			return res, err
		}
		res.Evaluated = len(missed)
		// Render the new clusters, and cache each directory with its
		// clusters' files.
		var fresh []*model.Cluster
		for _, r := range results {
			fresh = append(fresh, r.Clusters...)
		}
		rendered, err := render.Clusters(p, fresh)
		if err != nil {
			return res, err
		}
		p.Clusters = append(p.Clusters, fresh...)
		k := 0
		for j, i := range missed {
			var e entry
			for _, c := range results[j].Clusters {
				files[i] = append(files[i], rendered[k]...)
				e.Clusters = append(e.Clusters, cachedCluster{Cluster: withoutValues(c), Files: toCached(rendered[k])})
				k++
			}
			if opts.Cache != nil {
				store(opts.Cache, dirKeys[i], e)
			}
		}
	}
	if len(p.Clusters) == 0 {
		return res, ErrNoClusters{}
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
	res.Files = slices.Concat(append(files, platformFiles)...)
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

func lookup(c *cache.Cache, k cache.Key) ([]*model.Cluster, []render.File, bool) {
	data, ok := c.Get(k)
	if !ok {
		return nil, nil, false
	}
	var e entry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, nil, false
	}
	var clusters []*model.Cluster
	var files []render.File
	for _, cc := range e.Clusters {
		if cc.Cluster == nil {
			return nil, nil, false
		}
		clusters = append(clusters, cc.Cluster)
		for _, f := range cc.Files {
			files = append(files, render.File{Path: f.Path, Data: []byte(f.Data)})
		}
	}
	return clusters, files, true
}

// store writes an entry; a cache that cannot be written only costs the
// next build its time, so the error is dropped.
func store(c *cache.Cache, k cache.Key, v any) {
	if data, err := json.Marshal(v); err == nil {
		_ = c.Put(k, data)
	}
}

func withoutValues(c *model.Cluster) *model.Cluster {
	cp := *c
	cp.Values = nil
	return &cp
}

func toCached(fs []render.File) []cachedFile {
	out := make([]cachedFile, len(fs))
	for i, f := range fs {
		out[i] = cachedFile{Path: f.Path, Data: string(f.Data)}
	}
	return out
}

var (
	versionOnce sync.Once
	versionSum  []byte
)

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
