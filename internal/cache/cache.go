// Package cache is platformc's build cache: a directory of entries keyed by
// a hash of everything that can change them, as go build keeps one. An
// entry is written to a temporary file and renamed into place, and carries
// a checksum: a torn, corrupt or foreign entry is a miss, never served.
package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EnvVar names the environment variable that moves the cache.
const EnvVar = "PLATFORMC_CACHE"

// magic starts every entry; a new format changes it, which makes every old
// entry a miss.
const magic = "platformc-cache-v1\n"

// Key identifies an entry.
type Key [sha256.Size]byte

// NewKey hashes the parts that determine an entry.
func NewKey(parts ...[]byte) Key {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d\x00", len(p))
		h.Write(p)
	}
	return Key(h.Sum(nil))
}

// Cache is an open cache directory.
type Cache struct {
	dir string
}

// DefaultDir is $PLATFORMC_CACHE if set, else platformc/ under the user's
// cache directory (os.UserCacheDir).
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvVar); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (%v): set %s or pass --cache-dir, or --no-cache", err, EnvVar)
	}
	return filepath.Join(d, "platformc"), nil
}

// Open opens the cache in dir, creating it.
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache directory.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(k Key) string {
	s := hex.EncodeToString(k[:])
	return filepath.Join(c.dir, s[:2], s)
}

// Get returns the entry for k, if there is a sound one.
func (c *Cache) Get(k Key) ([]byte, bool) {
	raw, err := os.ReadFile(c.path(k))
	if err != nil {
		return nil, false
	}
	rest, ok := bytes.CutPrefix(raw, []byte(magic))
	if !ok || len(rest) < 2*sha256.Size+1 {
		return nil, false
	}
	sum, data := rest[:2*sha256.Size], rest[2*sha256.Size+1:]
	want := sha256.Sum256(data)
	if hex.EncodeToString(want[:]) != string(sum) {
		return nil, false
	}
	return data, true
}

// Put stores data under k. Concurrent writers of one key each rename a
// complete file into place; readers see one of them whole.
func (c *Cache) Put(k Key, data []byte) error {
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	_, err = fmt.Fprintf(f, "%s%s\n", magic, hex.EncodeToString(sum[:]))
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// Clean removes every entry, and the directory if it is then empty. It
// removes only what looks like the cache's own: two-hex-digit folders.
func (c *Cache) Clean() error {
	entries, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, err := hex.DecodeString(e.Name()); e.IsDir() && len(e.Name()) == 2 && err == nil {
			if err := os.RemoveAll(filepath.Join(c.dir, e.Name())); err != nil {
				return err
			}
		}
	}
	_ = os.Remove(c.dir)
	return nil
}
