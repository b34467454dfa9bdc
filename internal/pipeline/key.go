package pipeline

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/scaffold"
)

// keys derives the cache keys of one build: every entry is keyed by this
// build of platformc, every file it was made from and the secrets read.
//
// A cluster directory's entry is keyed, when the module allows it (see
// load.Inputs.Bundles and scaffold.IsWiring), on the files every cluster
// depends on, the bundles' catalog and the files of the bundles its
// clusters enable: an edit to one bundle evaluates again only the clusters
// that enable it. Which bundles those are is known once the directory is
// evaluated, so the directory has two entries: under its first key (dir),
// the bundles its clusters enable; under the key those give (withBundles),
// its clusters and files. Otherwise a directory has one entry, keyed on
// every file outside clusters/.
type keys struct {
	version []byte
	shared  []byte
	secrets []byte

	// base and bundles are set for per-bundle keys: load.Inputs' Base and
	// Bundles; catalog once the platform is known.
	base    []byte
	bundles map[string]load.Hash
	catalog []byte
}

func newKeys(in *load.Inputs, env load.Env, placeholders bool) keys {
	k := keys{version: toolVersion(), shared: in.Shared[:], secrets: secretsKey(in.Tags, env, placeholders)}
	if in.Bundles != nil && scaffold.IsWiring(in.Wiring) {
		k.base, k.bundles = in.Base[:], in.Bundles
	}
	return k
}

// perBundle says whether directories are keyed on the bundles they enable.
func (k keys) perBundle() bool { return k.bundles != nil }

// platform is the key of the defaults and bundles.
func (k keys) platform() cache.Key {
	return cache.NewKey([]byte("platform"), k.version, k.shared, k.secrets)
}

// dir is the first key of one cluster directory: of its entry, or with
// per-bundle keys, of the names of the bundles its clusters enable.
func (k keys) dir(root string, d load.DirInput) cache.Key {
	rel, _ := filepath.Rel(root, d.Dir)
	if k.perBundle() {
		return cache.NewKey([]byte("dir-bundles"), k.version, k.base, k.catalog, k.secrets, d.Hash[:], []byte(filepath.ToSlash(rel)))
	}
	return cache.NewKey([]byte("dir"), k.version, k.shared, k.secrets, d.Hash[:], []byte(filepath.ToSlash(rel)))
}

// withBundles is the key of the entry of a directory whose first key is
// first and whose clusters enable the bundles names (sorted): the files
// of each are part of it. A bundle no bundle file declares has none: it
// is in the base files.
func (k keys) withBundles(first cache.Key, names []string) cache.Key {
	return withSums(first, names, k.sums(names))
}

// sums are the hashes of the files of each of the bundles names, as
// withBundles keys on them.
func (k keys) sums(names []string) map[string]load.Hash {
	sums := make(map[string]load.Hash, len(names))
	for _, n := range names {
		sums[n] = k.bundles[n]
	}
	return sums
}

// withSums is withBundles with the bundles' hashes given: those of an
// earlier build, to find its entry.
func withSums(first cache.Key, names []string, sums map[string]load.Hash) cache.Key {
	parts := [][]byte{[]byte("dir-entry"), first[:]}
	for _, n := range names {
		sum := sums[n]
		parts = append(parts, []byte(n), sum[:])
	}
	return cache.NewKey(parts...)
}

// dirRecord is what a directory's first key holds with per-bundle keys:
// the bundles its clusters enable, and the hashes of their files its entry
// was made from. A later build whose hashes differ for some of them finds
// the earlier entry through these, and evaluates again only the apps of
// those bundles (see build.reuse).
type dirRecord struct {
	Bundles []string             `json:"bundles"`
	Sums    map[string]load.Hash `json:"sums"`
}

// catalogKey hashes what every cluster reads of every bundle (see
// schema.#Cluster's #catalog): whether it is required, what it requires
// and the names of its apps.
func catalogKey(bundles map[string]*model.Bundle) []byte {
	type entry struct {
		Required bool     `json:"required"`
		Requires []string `json:"requires"`
		Apps     []string `json:"apps"`
	}
	catalog := make(map[string]entry, len(bundles))
	for name, b := range bundles {
		// nil and empty requires hash alike: a cached platform went through JSON.
		catalog[name] = entry{Required: b.Required, Requires: append([]string{}, b.Requires...), Apps: slices.Sorted(maps.Keys(b.Apps))}
	}
	data, _ := json.Marshal(catalog) // sorted keys: the same catalog, the same bytes
	sum := sha256.Sum256(data)
	return sum[:]
}

// stamp identifies every input of a build of the whole platform: this
// build of platformc, every file of the module it reads (in.Shared, and
// each cluster directory's files by its path), and the variables @tag
// fields read (by hash, as in the cache keys). It is what the cache keys
// are made of, so two builds with the same stamp make the same files; an
// output directory records the stamp of the build that wrote it, for the
// next build to find nothing to do.
func stamp(in *load.Inputs, env load.Env, placeholders bool) []byte {
	parts := [][]byte{[]byte("build-stamp"), toolVersion(), in.Shared[:], secretsKey(in.Tags, env, placeholders)}
	for _, d := range in.Dirs {
		rel, _ := filepath.Rel(in.Root, d.Dir)
		parts = append(parts, []byte(filepath.ToSlash(rel)), d.Hash[:])
	}
	k := cache.NewKey(parts...)
	return k[:]
}

// secretsKey is the part of the cache keys the environment contributes:
// for every tag name the files may hold, a hash of the variable's value (or
// that it is unset, and whether that was allowed: a placeholder is then
// evaluated). Values never enter the keys, only their hashes.
func secretsKey(tags []string, env load.Env, placeholders bool) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "placeholders=%t\x00", placeholders)
	for _, name := range tags {
		v, ok := env(name)
		sum := sha256.Sum256([]byte(v))
		fmt.Fprintf(h, "%s\x00%t\x00%x\x00", name, ok, sum)
	}
	return h.Sum(nil)
}

// sealKey is the key entries are encrypted with when secrets were read:
// derived from their values alone, so that only a build that has them can
// read what was made from them.
func sealKey(secrets map[string]string) []byte {
	if len(secrets) == 0 {
		return nil
	}
	h := sha256.New()
	h.Write([]byte("platformc cache seal v1\x00"))
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		fmt.Fprintf(h, "%d\x00%s\x00%d\x00%s\x00", len(name), name, len(secrets[name]), secrets[name])
	}
	return h.Sum(nil)
}

var (
	versionOnce sync.Once
	versionSum  []byte
)

// toolVersion identifies this build of platformc for the cache keys, so
// that any change to the code (a release or a local build) makes earlier
// entries misses: the Go build ID the linker wrote into the executable (a
// hash of its inputs and of its content, read from one ELF note, where
// hashing the 30 MB executable took a tenth of a second of every run), or
// where there is none (another format, or -ldflags=-buildid=) the hash of
// the executable itself; where that cannot be read, the module build info.
func toolVersion() []byte {
	versionOnce.Do(func() {
		if exe, err := os.Executable(); err == nil {
			if id, ok := goBuildID(exe); ok {
				sum := sha256.Sum256(append([]byte("go build id\x00"), id...))
				versionSum = sum[:]
				return
			}
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

// goBuildID reads the Go build ID of an ELF executable from its
// .note.go.buildid section (a note of type 4 whose name is "Go", padded).
func goBuildID(exe string) ([]byte, bool) {
	f, err := elf.Open(exe)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return nil, false
	}
	data, err := s.Data()
	if err != nil || len(data) < 12 {
		return nil, false
	}
	order := f.ByteOrder
	namesz, descsz, typ := order.Uint32(data[0:]), order.Uint32(data[4:]), order.Uint32(data[8:])
	nameEnd := 12 + int((namesz+3)&^3)
	if typ != 4 || (namesz != 3 && namesz != 4) || nameEnd > len(data) || string(data[12:14]) != "Go" ||
		descsz == 0 || uint64(nameEnd)+uint64(descsz) > uint64(len(data)) {
		return nil, false
	}
	return data[nameEnd : nameEnd+int(descsz)], true
}
