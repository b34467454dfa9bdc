package output

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/platformc/platformc/internal/safefile"
)

// The index, DIR/.platformc/index, is what the last run that read or wrote
// DIR found there, as git's index is for a work tree: the lstat(2) of every
// file and directory below DIR (platformc's bookkeeping and .git aside),
// and for each regular file the SHA-256 of its content and whether it
// starts with the generated header. A run trusts an entry only while the
// file's stat is what the index says, and only if that stat predates the
// index itself: a file changed in the same clock tick as the index was
// written could keep its size and times, so it is read again ("racily
// clean" in git's words). A file edited since, even to the same size and
// with its modification time put back, has a new change time (ctime, which
// no one can set), and is read. A directory whose stat is unchanged has
// the entries the index lists, and is not listed again.
//
// The index also records, after an apply that brought DIR in line with a
// whole build, what that build was made from (its source, see
// Plan.Source): while every entry is trusted, DIR's generated files are
// still exactly what that build wrote (see Dir.Recorded).
//
// The index only saves reading: a missing, unreadable or corrupt one is
// ignored, and a run without it reads DIR whole, as before.
const (
	indexName  = "index"
	indexTmp   = ".tmp-" // and the writer's pid: index.tmp-PID
	indexMagic = "platformc-index-v2\n"
)

// stat is what an index entry records of lstat(2).
type stat struct {
	dev, ino     uint64
	mode         uint32
	size         int64
	mtime, ctime int64 // nanoseconds
}

// indexEntry is one file or directory of the index.
type indexEntry struct {
	stat
	// sum is the SHA-256 of a regular file's content; generated says
	// that it starts with the index's header.
	sum       [sha256.Size]byte
	generated bool
}

func (e *indexEntry) isDir() bool     { return e.mode&syscall.S_IFMT == syscall.S_IFDIR }
func (e *indexEntry) isRegular() bool { return e.mode&syscall.S_IFMT == syscall.S_IFREG }

// index is a read index, or one being built.
type index struct {
	// header is the header generated is about.
	header string
	// source is what the generated files the entries record were made
	// from, if an apply recorded it (Plan.Source); nil otherwise.
	source []byte
	// time is the index file's own modification time: entries whose
	// times are not before it are not trusted. dev is the file system it
	// is on: the times of entries on another (mounted below DIR, with
	// its own clock granularity) are not compared with it, and those
	// entries are not trusted.
	time    int64
	dev     uint64
	entries map[string]*indexEntry
	// children lists each directory's entries, by path.
	children map[string][]string
	// changed says that a scan found something other than the index it
	// read said, or an entry it could not trust only for its times (it
	// can once the index is written again): it is worth writing.
	changed bool
}

// sameAs reports whether x and old record the same entries.
func (x *index) sameAs(old *index) bool {
	if old == nil || len(x.entries) != len(old.entries) {
		return false
	}
	for p, e := range x.entries {
		if o, ok := old.entries[p]; !ok || *o != *e {
			return false
		}
	}
	return true
}

// trusted returns the entry of p if its recorded stat is st and predates
// the index. racy says that the stat is st but does not predate it.
func (x *index) trusted(p string, st stat) (e *indexEntry, ok, racy bool) {
	if x == nil {
		return nil, false, false
	}
	e, ok = x.entries[p]
	if !ok || e.stat != st {
		return nil, false, false
	}
	if !x.vouches(e, st) {
		return nil, false, true
	}
	return e, true, false
}

// vouches reports whether e, an entry of x, is trusted with the stat st,
// as trusted does.
func (x *index) vouches(e *indexEntry, st stat) bool {
	return e.stat == st && e.dev == x.dev && e.mtime < x.time && e.ctime < x.time
}

// readIndex reads dir's index; nil if there is none or it is not sound.
func readIndex(meta, header string) *index {
	data, fi, err := safefile.Read(filepath.Join(meta, indexName), maxIndexSize)
	if err != nil {
		return nil
	}
	x, err := decodeIndex(data)
	if err != nil || x.header != header {
		return nil
	}
	st, ok := statOf(fi)
	if !ok {
		return nil
	}
	x.time, x.dev = st.mtime, st.dev
	return x
}

// maxIndexSize bounds what is read as an index: about 40 bytes and a path
// per file and directory.
const maxIndexSize = 1 << 30

func decodeIndex(data []byte) (*index, error) {
	r, x, n, err := openIndex(data)
	if err != nil {
		return nil, err
	}
	// Sized from the count, bounded by what the bytes can hold (a corrupt
	// count must not allocate): an entry takes at least 8 bytes.
	size := int(min(n, uint64(len(r.b)/8)))
	x.entries, x.children = make(map[string]*indexEntry, size), make(map[string][]string, size)
	for range n {
		p, e, ok := r.entry()
		if !ok {
			return nil, errNotIndex
		}
		if p != "." {
			dir := path.Dir(p)
			x.children[dir] = append(x.children[dir], p)
		}
		x.entries[p] = e
	}
	if len(r.b) != 0 {
		return nil, errNotIndex
	}
	return x, nil
}

var errNotIndex = errors.New("not an index")

// openIndex checks an index's bytes against their checksum and decodes
// what precedes the entries: the index without them, their count, and
// the reader positioned on the first.
func openIndex(data []byte) (*reader, *index, uint64, error) {
	rest, ok := bytes.CutPrefix(data, []byte(indexMagic))
	if !ok || len(rest) < sha256.Size {
		return nil, nil, 0, errNotIndex
	}
	body, sum := rest[:len(rest)-sha256.Size], rest[len(rest)-sha256.Size:]
	if want := sha256.Sum256(data[:len(data)-sha256.Size]); !bytes.Equal(sum, want[:]) {
		return nil, nil, 0, errNotIndex
	}
	r := &reader{b: body}
	x := &index{header: r.string()}
	if src := r.string(); src != "" {
		x.source = []byte(src)
	}
	n := r.uvarint()
	if r.err != nil {
		return nil, nil, 0, errNotIndex
	}
	return r, x, n, nil
}

// entry decodes the next entry; not ok if the bytes are not one.
func (r *reader) entry() (string, *indexEntry, bool) {
	e := &indexEntry{}
	p, ok := r.entryInto("", e)
	return p, e, ok
}

// entryInto decodes the next entry into e and returns its path after
// prefix, in one string (a warm build decodes tens of thousands).
func (r *reader) entryInto(prefix string, e *indexEntry) (string, bool) {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return "", false
	}
	full := prefix + string(r.bytes(int(n)))
	p := full[len(prefix):]
	*e = indexEntry{}
	e.dev, e.ino = r.uvarint(), r.uvarint()
	e.mode = uint32(r.uvarint())
	e.size, e.mtime, e.ctime = r.varint(), r.varint(), r.varint()
	if e.isRegular() {
		copy(e.sum[:], r.bytes(sha256.Size))
		e.generated = r.bytes(1)[0] == 1
	}
	if r.err != nil || p != "." && CheckPath(p) != nil && !validOther(p) {
		return "", false
	}
	return full, true
}

// recorded reads the index of dir (its bookkeeping in meta) and returns
// the source it records, if match accepts it and every entry that
// unchanged would visit is still trusted, and how many of its files are
// generated: what Dir.Recorded asks, without the index's maps. It visits
// more than unchanged, never less: every entry but those below
// platformc's bookkeeping and .git directories (which unchanged reaches
// through the directories' listings).
func recorded(dir, meta, header string, match func([]byte) bool) (source []byte, generated int, ok bool) {
	data, fi, err := safefile.Read(filepath.Join(meta, indexName), maxIndexSize)
	if err != nil {
		return nil, 0, false
	}
	own, ok := statOf(fi)
	if !ok {
		return nil, 0, false
	}
	r, x, n, err := openIndex(data)
	if err != nil || x.header != header || x.source == nil || !match(x.source) {
		return nil, 0, false
	}
	x.time, x.dev = own.mtime, own.dev
	type check struct {
		name string // dir/path
		st   stat
	}
	list := make([]check, 0, min(n, uint64(len(r.b)/8)))
	top := false
	prefix := dir + "/"
	var e indexEntry
	for range n {
		name, ok := r.entryInto(prefix, &e)
		if !ok {
			return nil, 0, false
		}
		p := name[len(prefix):]
		if bookkeeping(p, &e) {
			continue
		}
		if !x.vouches(&e, e.stat) {
			return nil, 0, false
		}
		top = top || p == "." && e.isDir()
		if e.isRegular() && e.generated {
			generated++
		}
		list = append(list, check{name, e.stat})
	}
	if !top || len(r.b) != 0 {
		return nil, 0, false
	}
	if !statsAll(len(list), func(i int) string { return filepath.FromSlash(list[i].name) }, func(i int, st stat) bool { return st == list[i].st }) {
		return nil, 0, false
	}
	return x.source, generated, true
}

// statsAll reports whether the lstat of each of n files, named by name,
// is one that ok accepts, stopping at the first that is not (or cannot be
// taken): spread over the cores, as a warm build takes tens of thousands.
func statsAll(n int, name func(i int) string, ok func(i int, st stat) bool) bool {
	var bad atomic.Bool
	const chunk = 512
	_ = parallel((n+chunk-1)/chunk, func(c int) error {
		for i := c * chunk; i < min(n, (c+1)*chunk) && !bad.Load(); i++ {
			st, known, err := lstat(name(i))
			if err != nil || !known || !ok(i, st) {
				bad.Store(true)
			}
		}
		return nil
	})
	return !bad.Load()
}

// bookkeeping reports whether the entry e at p is platformc's own or in
// a .git directory, or below one: what unchanged and scan do not visit.
func bookkeeping(p string, e *indexEntry) bool {
	for elem, rest := range pathElems(p) {
		if reserved(elem) || elem == ".git" && (rest || e.isDir()) {
			return true
		}
	}
	return false
}

// pathElems yields the elements of a slash-separated path, each with
// whether more follow.
func pathElems(p string) func(yield func(string, bool) bool) {
	return func(yield func(string, bool) bool) {
		for {
			elem, rest, more := strings.Cut(p, "/")
			if !yield(elem, more) || !more {
				return
			}
			p = rest
		}
	}
}

// validOther reports whether p, a path below DIR that is not a clean
// generated path (a file of the user's may have any name), is at least
// relative and clean.
func validOther(p string) bool {
	return p != "" && !path.IsAbs(p) && path.Clean(p) == p && p != ".." && !bytes.HasPrefix([]byte(p), []byte("../"))
}

// encode is the index's bytes; its time is the file's, once written.
func (x *index) encode() []byte {
	b := []byte(indexMagic)
	b = appendString(b, x.header)
	b = appendString(b, string(x.source))
	b = binary.AppendUvarint(b, uint64(len(x.entries)))
	for p, e := range x.entries {
		b = appendString(b, p)
		b = binary.AppendUvarint(b, e.dev)
		b = binary.AppendUvarint(b, e.ino)
		b = binary.AppendUvarint(b, uint64(e.mode))
		b = binary.AppendVarint(b, e.size)
		b = binary.AppendVarint(b, e.mtime)
		b = binary.AppendVarint(b, e.ctime)
		if e.isRegular() {
			b = append(b, e.sum[:]...)
			gen := byte(0)
			if e.generated {
				gen = 1
			}
			b = append(b, gen)
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// writeIndex writes x whole or not at all, under d's lock. It is not
// flushed to disk: a torn index fails its checksum, and is only a cache.
// A run killed while writing it leaves index.tmp-PID, which the next
// Open removes (see removeStale).
func (d *Dir) writeIndex(x *index) error {
	if err := d.fault("index"); err != nil {
		return err
	}
	name := filepath.Join(d.meta(), indexName)
	tmp := name + indexTmp + strconv.Itoa(os.Getpid())
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return err
	}
	data := x.encode()
	_, err = f.Write(data[:len(data)/2])
	if err == nil {
		err = d.fault("index-write")
	}
	if err == nil {
		_, err = f.Write(data[len(data)/2:])
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.fault("index-rename")
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// reader decodes the index; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail() { r.err, r.b = errors.New("short index"), nil }

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || len(r.b) < n {
		r.fail()
		return make([]byte, n)
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return ""
	}
	return string(r.bytes(int(n)))
}
