package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

func open(t *testing.T) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func put(t *testing.T, c *Cache, k Key, data []byte) {
	t.Helper()
	if err := c.Put(k, data); err != nil {
		t.Fatal(err)
	}
}

// get is Get with a deadline far enough not to matter, unless Get hangs:
// then the test fails rather than the whole run timing out.
func get(t *testing.T, c *Cache, k Key) ([]byte, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	type result struct {
		data []byte
		ok   bool
	}
	done := make(chan result, 1)
	go func() {
		data, ok := c.Get(ctx, k)
		done <- result{data, ok}
	}()
	select {
	case r := <-done:
		return r.data, r.ok
	case <-time.After(30 * time.Second):
		t.Fatal("Get did not return")
		return nil, false
	}
}

func TestRoundTrip(t *testing.T) {
	c := open(t)
	k := NewKey([]byte("a"))
	if _, ok := get(t, c, k); ok {
		t.Fatal("hit in an empty cache")
	}
	for _, data := range [][]byte{[]byte("hello"), {}, bytes.Repeat([]byte{0, 0xff}, 1<<16)} {
		put(t, c, k, data)
		got, ok := get(t, c, k)
		if !ok || !bytes.Equal(got, data) {
			t.Fatalf("Get = %d bytes, %v; want the %d bytes put", len(got), ok, len(data))
		}
	}
	if fi, err := os.Stat(c.path(k)); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("entry mode: %v, %v; want readable by its owner only", fi.Mode(), err)
	}
}

// An entry copied over another entry's file holds another key: it is a
// miss, as go build's cache binds an entry to its key.
func TestSwappedEntryIsMiss(t *testing.T) {
	c := open(t)
	a, b := NewKey([]byte("a")), NewKey([]byte("b"))
	put(t, c, a, []byte("clusters of a"))
	put(t, c, b, []byte("clusters of b"))
	raw, err := os.ReadFile(c.path(a))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.path(b), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if data, ok := get(t, c, b); ok {
		t.Fatalf("swapped entry served: %q", data)
	}
	if _, ok := get(t, c, a); !ok {
		t.Fatal("the original entry is a miss")
	}
}

// Every prefix of an entry (a torn write), and every entry with one byte
// changed, is a miss.
func TestDamagedEntryIsMiss(t *testing.T) {
	c := open(t)
	k := NewKey([]byte("k"))
	put(t, c, k, []byte("some data"))
	raw, err := os.ReadFile(c.path(k))
	if err != nil {
		t.Fatal(err)
	}
	for n := range len(raw) {
		if err := os.WriteFile(c.path(k), raw[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := get(t, c, k); ok {
			t.Fatalf("entry cut to %d of %d bytes served", n, len(raw))
		}
	}
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 1
		if err := os.WriteFile(c.path(k), bad, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, ok := get(t, c, k); ok {
			t.Fatalf("entry with byte %d changed served", i)
		}
	}
	// The v1 format, sound in itself, is a miss.
	old := fmt.Appendf(nil, "platformc-cache-v1\n%x\nsome data", sha256.Sum256([]byte("some data")))
	if err := os.WriteFile(c.path(k), old, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok := get(t, c, k); ok {
		t.Fatal("v1 entry served")
	}
}

// What sits at an entry's path and is not a regular file is a miss, read
// without blocking and without reading more than an entry can hold.
func TestSpecialEntryIsMiss(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, p string)
	}{
		{"fifo", func(t *testing.T, p string) {
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
		}},
		{"symlink to /dev/zero", func(t *testing.T, p string) {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		}},
		{"symlink to a sound entry", func(t *testing.T, p string) {
			// Even one that would pass every check: the cache is its
			// own files, not what they point at.
			if err := os.Symlink(p+".real", p); err != nil {
				t.Fatal(err)
			}
		}},
		{"directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := open(t)
			k := NewKey([]byte(tc.name))
			put(t, c, k, []byte("data"))
			p := c.path(k)
			if err := os.Rename(p, p+".real"); err != nil {
				t.Fatal(err)
			}
			tc.make(t, p)
			if data, ok := get(t, c, k); ok {
				t.Fatalf("served %q", data)
			}
		})
	}
}

// An entry larger than MaxSize is a miss, and Put does not write one.
func TestOversizedEntry(t *testing.T) {
	c := open(t)
	k := NewKey([]byte("big"))
	if err := c.Put(k, make([]byte, MaxSize+1)); err == nil {
		t.Fatal("Put stored more than MaxSize")
	}
	put(t, c, k, []byte("data"))
	// A sparse file: the size is checked before anything is read.
	if err := os.Truncate(c.path(k), int64(header+MaxSize+1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := get(t, c, k); ok {
		t.Fatal("oversized entry served")
	}
}

// Get gives up when its context is done, whatever the read is doing: a
// hung file system costs the build its deadline, not forever.
func TestGetHonoursContext(t *testing.T) {
	c := open(t)
	k := NewKey([]byte("k"))
	put(t, c, k, []byte("data"))
	block := make(chan struct{})
	defer close(block)
	c.read = func(p string) ([]byte, error) {
		<-block
		return readEntry(p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, ok := c.Get(ctx, k); ok {
		t.Fatal("hit from a blocked read")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Get returned %v after the deadline", d)
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	c = &Cache{dir: c.dir} // the blocked read still holds the other
	if _, ok := get(t, c, k); !ok {
		t.Fatal("miss from a sound entry")
	}
	if _, ok := c.Get(cancelled, k); ok {
		t.Fatal("hit with a cancelled context")
	}
}

// Writers and readers of one key, at once: every read is a miss or one of
// the values written, whole. Run with -race.
func TestConcurrentPutGet(t *testing.T) {
	c := open(t)
	k := NewKey([]byte("k"))
	values := make([][]byte, 8)
	for i := range values {
		values[i] = bytes.Repeat([]byte{byte('a' + i)}, 64<<10)
	}
	var wg sync.WaitGroup
	for i := range values {
		wg.Go(func() {
			for range 20 {
				if err := c.Put(k, values[i]); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for range 20 {
				data, ok := c.Get(context.Background(), k)
				if ok && !bytes.Equal(data, bytes.Repeat(data[:1], len(values[0]))) {
					t.Error("read a mix of two entries")
					return
				}
			}
		})
	}
	wg.Wait()
	if _, ok := get(t, c, k); !ok {
		t.Fatal("miss after the writers finished")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(c.path(k)), ".tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// Clean removes the cache's own folders (two hex digits) and nothing else:
// a cache directory pointed at the wrong place loses no other file.
func TestCleanRemovesOnlyEntries(t *testing.T) {
	c := open(t)
	put(t, c, NewKey([]byte("a")), []byte("data"))
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	others := []string{"notes.txt", "zz", "abc", "src"}
	for _, name := range others {
		p := filepath.Join(c.Dir(), name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A symlink with an entry folder's name is not followed.
	if err := os.Symlink(outside, filepath.Join(c.Dir(), "ab")); err != nil {
		t.Fatal(err)
	}
	if err := c.Clean(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if want := []string{"ab", "abc", "notes.txt", "src", "zz"}; fmt.Sprint(left) != fmt.Sprint(want) {
		t.Errorf("left %v, want %v", left, want)
	}
	if _, err := os.Stat(filepath.Join(outside, "keep")); err != nil {
		t.Errorf("a file outside the cache is gone: %v", err)
	}
	// Cleaning an emptied cache removes its directory.
	for _, name := range left {
		os.RemoveAll(filepath.Join(c.Dir(), name))
	}
	put(t, c, NewKey([]byte("a")), []byte("data"))
	if err := c.Clean(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Dir()); !os.IsNotExist(err) {
		t.Errorf("cache directory left: %v", err)
	}
}
