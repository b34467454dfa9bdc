package pipeline

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"slices"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/render"
)

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

// add records cluster c, whose values are not stored, and its files.
func (e *entry) add(c *model.Cluster, files []render.File) {
	bare := *c
	bare.Values = nil
	cc := cachedCluster{Cluster: &bare}
	for _, f := range files {
		cc.Files = append(cc.Files, cachedFile{Path: f.Path, Size: len(f.Data)})
		e.data = append(e.data, f.Data)
	}
	e.Clusters = append(e.Clusters, cc)
}

// bundles are the names of the bundles the entry's clusters enable,
// sorted.
func (e *entry) bundles() []string {
	seen := map[string]bool{}
	for _, c := range e.Clusters {
		for _, name := range c.Cluster.Bundles {
			seen[name] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
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
	clusters, files, err := decodeClusters(data)
	return clusters, slices.Concat(files...), err
}

// decodeClusters is decodeEntry with the files of each cluster apart.
func decodeClusters(data []byte) ([]*model.Cluster, [][]render.File, error) {
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
	var files [][]render.File
	for _, cc := range e.Clusters {
		if cc.Cluster == nil {
			return nil, nil, errors.New("no cluster")
		}
		clusters = append(clusters, cc.Cluster)
		var own []render.File
		for _, f := range cc.Files {
			if f.Size < 0 || f.Size > len(rest) {
				return nil, nil, errors.New("short entry")
			}
			own = append(own, render.File{Path: f.Path, Data: rest[:f.Size:f.Size]})
			rest = rest[f.Size:]
		}
		files = append(files, own)
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

// store is the build cache as one build uses it: entries sealed with the
// key derived from the build's secrets. A cache that cannot be written
// only costs the next build its time, so write errors are dropped; an
// entry that cannot be read or opened is a miss.
type store struct {
	c    *cache.Cache
	seal []byte
}

func (s store) get(ctx context.Context, k cache.Key) ([]byte, bool) {
	if s.c == nil {
		return nil, false
	}
	data, ok := s.c.Get(ctx, k)
	if !ok {
		return nil, false
	}
	data, err := cache.Unseal(s.seal, data)
	return data, err == nil
}

func (s store) put(k cache.Key, data []byte, err error) {
	if s.c == nil || err != nil {
		return
	}
	if data, err = cache.Seal(s.seal, data); err == nil {
		_ = s.c.Put(k, data)
	}
}

// platform returns the cached defaults and bundles, if any.
func (s store) platform(ctx context.Context, k cache.Key) *model.Platform {
	data, ok := s.get(ctx, k)
	if !ok {
		return nil
	}
	var pe platformEntry
	if json.Unmarshal(data, &pe) != nil {
		return nil
	}
	model.LinkApps(pe.Bundles, pe.Defaults)
	return &model.Platform{Defaults: pe.Defaults, Bundles: pe.Bundles}
}

func (s store) putPlatform(k cache.Key, p *model.Platform) {
	data, err := json.Marshal(platformEntry{Defaults: p.Defaults, Bundles: p.Bundles})
	s.put(k, data, err)
}

// dir returns the cached clusters and files of a directory, if any.
func (s store) dir(ctx context.Context, k cache.Key) ([]*model.Cluster, []render.File, bool) {
	data, ok := s.get(ctx, k)
	if !ok {
		return nil, nil, false
	}
	clusters, files, err := decodeEntry(data)
	return clusters, files, err == nil
}
