// Package cache is platformc's build cache: a directory of entries keyed by
// a hash of everything that can change them, as go build keeps one. An
// entry is written to a temporary file and renamed into place, and carries
// its key and a checksum over key and data: a torn, corrupt or foreign
// entry, or one copied over another's file, is a miss, never served.
// Reading one opens nothing but a regular file of bounded size, and gives
// up when the context is done: an entry that is a FIFO, a symlink to
// /dev/zero or a file on a hung file system is a miss, never a hang.
package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/platformc/platformc/internal/safefile"
)

// EnvVar names the environment variable that moves the cache.
const EnvVar = "PLATFORMC_CACHE"

// magic starts every entry; a new format changes it, which makes every old
// entry a miss. v2 binds each entry to its key.
const magic = "platformc-cache-v2\n"

// MaxSize bounds the data of an entry: Put refuses more, Get reads no
// more. A cluster directory's rendered files are a few hundred KiB.
const MaxSize = 256 << 20

// header is the length of what precedes an entry's data: the magic, the
// key and the checksum, each hex key and sum followed by a newline.
const header = len(magic) + 2*(2*sha256.Size+1)

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
	// read reads an entry's file: readEntry, or a stand-in in tests.
	read func(path string) ([]byte, error)
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

// Get returns the entry for k, if there is a sound one. It gives up, a
// miss, when ctx is done: a read that a hung file system never ends is
// left behind, not waited for.
func (c *Cache) Get(ctx context.Context, k Key) ([]byte, bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	if ctx.Done() == nil {
		return c.get(k)
	}
	type result struct {
		data []byte
		ok   bool
	}
	done := make(chan result, 1)
	go func() {
		data, ok := c.get(k)
		done <- result{data, ok}
	}()
	select {
	case r := <-done:
		return r.data, r.ok
	case <-ctx.Done():
		return nil, false
	}
}

func (c *Cache) get(k Key) ([]byte, bool) {
	read := c.read
	if read == nil {
		read = readEntry
	}
	raw, err := read(c.path(k))
	if err != nil {
		return nil, false
	}
	return decode(k, raw)
}

// readEntry reads the file at p if it is a regular file, not a symlink,
// of at least a header's size and at most an entry's.
func readEntry(p string) ([]byte, error) {
	raw, _, err := safefile.Read(p, int64(header+MaxSize))
	if err != nil {
		return nil, err
	}
	if len(raw) < header {
		return nil, errors.New("not an entry")
	}
	return raw, nil
}

// decode checks an entry read for k and returns its data.
func decode(k Key, raw []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(raw, []byte(magic))
	if !ok || len(rest) < header-len(magic) {
		return nil, false
	}
	key, sum, data := rest[:2*sha256.Size+1], rest[2*sha256.Size+1:2*(2*sha256.Size+1)], rest[2*(2*sha256.Size+1):]
	if string(key) != hex.EncodeToString(k[:])+"\n" || string(sum) != checksum(k, data)+"\n" {
		return nil, false
	}
	return data, true
}

// checksum is the hex SHA-256 of key and data: an entry carries it, so
// that a swapped entry fails it as a corrupt one does.
func checksum(k Key, data []byte) string {
	h := sha256.New()
	h.Write(k[:])
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// Put stores data under k. Concurrent writers of one key each rename a
// complete file into place; readers see one of them whole. Data larger
// than MaxSize is not stored.
func (c *Cache) Put(k Key, data []byte) error {
	if len(data) > MaxSize {
		return fmt.Errorf("cache entry of %d bytes: larger than %d", len(data), MaxSize)
	}
	p := c.path(k)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s%x\n%s\n", magic, k[:], checksum(k, data))
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
