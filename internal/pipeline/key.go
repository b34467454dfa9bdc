package pipeline

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/load"
)

// keys derives the cache keys of one build: every entry is keyed by this
// build of platformc, every file it was made from and the secrets read.
type keys struct {
	version []byte
	shared  []byte
	secrets []byte
}

func newKeys(in *load.Inputs, env load.Env, placeholders bool) keys {
	return keys{version: toolVersion(), shared: in.Shared[:], secrets: secretsKey(in.Tags, env, placeholders)}
}

// platform is the key of the defaults and bundles.
func (k keys) platform() cache.Key {
	return cache.NewKey([]byte("platform"), k.version, k.shared, k.secrets)
}

// dir is the key of one cluster directory.
func (k keys) dir(root string, d load.DirInput) cache.Key {
	rel, _ := filepath.Rel(root, d.Dir)
	return cache.NewKey([]byte("dir"), k.version, k.shared, k.secrets, d.Hash[:], []byte(filepath.ToSlash(rel)))
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
