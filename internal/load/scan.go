package load

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/inject/embed"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/safefile"
)

// Config says where to look and what to select.
type Config struct {
	// Dir is the directory patterns are relative to; the module root is
	// found from it. Empty means the current directory.
	Dir string
	// Patterns select cluster directories, as cue and go do: ./clusters/...,
	// ./clusters/prod/..., ./clusters/dev/alpha. Empty means DefaultPattern.
	Patterns []string
}

// Hash is a SHA-256 digest of input files.
type Hash [sha256.Size]byte

// Inputs are the cluster directories a build selects and the files each
// depends on, found by reading the files, not by evaluating them: what a
// build cache keys on.
type Inputs struct {
	// Root is the absolute module root.
	Root string
	// Shared hashes every .cue file of the module outside clusters/ (the
	// schema, defaults, bundles, cue.mod) and the files they embed: the
	// platform's defaults and bundles depend on them.
	Shared Hash
	// Base hashes the files of Shared that every cluster depends on: all
	// but the bundle files (see bundleFile).
	Base Hash
	// Bundles hashes, per bundle, the bundle files that declare it. A
	// cluster depends on Base, on the bundles' catalog and on the
	// Bundles of the bundles it enables. Nil when the module reads the
	// bundles in a way that does not allow telling (every cluster then
	// depends on Shared).
	Bundles map[string]Hash
	// Wiring is clusters/clusters.cue, where the clusters package reads
	// the bundles, if Bundles is set: the caller checks that it reads
	// them as platformc init writes it, or drops Bundles.
	Wiring []byte
	// Dirs are the selected directories under clusters/ that hold .cue
	// files, sorted.
	Dirs []DirInput
	// Tags are the names of the @tag(NAME) attributes the files may hold:
	// the environment variables a build reads secrets from, sorted.
	Tags []string
	// Required are the Tags some field reads without a default: what a
	// placeholder stands in for when the variable is not set, sorted.
	Required []string
	// TagPos is where each tag is first read, for the errors about it.
	TagPos map[string]token.Pos
	// Complete says that the patterns select every cluster (one of them is
	// clusters/ or above it, recursively): a build may then write what
	// depends on all clusters, and remove what no cluster produces.
	Complete bool

	// fsys is the module as Scan read it.
	fsys *moduleFS
}

// DirInput is one selected cluster directory.
type DirInput struct {
	// Dir is the absolute directory.
	Dir string
	// Hash covers the names and bytes of the .cue files in Dir and in each
	// parent directory up to clusters/ (the files cue/load unifies into
	// the directory's instance) and of the files they embed.
	Hash Hash
}

// Scan finds the module root from cfg.Dir, resolves the patterns to the
// cluster directories they select and hashes their inputs: the .cue files
// and the files their @embed attributes read. It reads the module as
// cue/load will, through a view of it that refuses symlinks and special
// files (see moduleFS), and refuses, naming it, anything under clusters/
// it cannot or will not read: a cluster that cannot be read is never a
// cluster that is not there. A bad pattern is a *UsageError. A module
// that lacks a platform's directories, a file platformc refuses or a
// source file that is not UTF-8 is a cue/errors list, with positions
// where there are; the Inputs returned with it carry the Root to report
// them against.
func Scan(cfg Config) (*Inputs, error) {
	dir := cfg.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	root, err := ModuleRoot(dir)
	if err != nil {
		return nil, err
	}
	fsys, err := openModule(root)
	if err != nil {
		return nil, err
	}
	in := &Inputs{Root: root, fsys: fsys}
	if errs := checkLayout(fsys); errs != nil {
		return in, errs
	}
	// Patterns are relative to the working directory, as go's and cue's
	// are; none means every cluster of the module, wherever it runs.
	patterns, patternDir := cfg.Patterns, dir
	if len(patterns) == 0 {
		patterns, patternDir = []string{DefaultPattern}, root
	}
	s := &scanner{fsys: fsys, own: map[string]Hash{}, tags: map[string]bool{}, required: map[string]bool{}, tagPos: map[string]token.Pos{}, refusal: map[string]cueerrors.Error{}}
	seen := map[string]bool{}
	var dirs []string
	for _, pat := range patterns {
		base, recursive, err := resolve(fsys, patternDir, pat)
		if err != nil {
			if _, ok := err.(*UsageError); ok {
				return nil, err
			}
			return in, err
		}
		if recursive && base == ClustersDir {
			in.Complete = true
		}
		for _, d := range s.cueDirs(base, recursive) {
			if !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	s.hashDirs(dirs)
	for _, d := range dirs {
		in.Dirs = append(in.Dirs, DirInput{Dir: fsys.abs(d), Hash: s.dir(d)})
	}
	slices.SortFunc(in.Dirs, func(a, b DirInput) int { return strings.Compare(a.Dir, b.Dir) })
	in.Shared, in.Base, in.Bundles = s.shared()
	if len(s.importers) == 1 && s.importers[0] == path.Join(ClustersDir, WiringFile) {
		in.Wiring = s.wiring
	} else {
		in.Bundles = nil
	}
	in.Tags = slices.Sorted(maps.Keys(s.tags))
	in.Required = slices.Sorted(maps.Keys(s.required))
	in.TagPos = s.tagPos
	if errs := s.errs(); errs != nil {
		return in, errs
	}
	return in, nil
}

// resolve checks a pattern and returns the directory it names, relative
// to the module root, and whether it selects the directories below it
// too.
func resolve(fsys *moduleFS, dir, pat string) (string, bool, error) {
	root := fsys.dir
	clustersRoot := filepath.Join(root, ClustersDir)
	base, recursive := strings.CutSuffix(filepath.ToSlash(pat), "/...")
	if base == "..." {
		base, recursive = ".", true
	}
	if strings.Contains(base, "...") {
		return "", false, &UsageError{Msg: fmt.Sprintf("pattern %q: ... is only allowed at the end, as in ./clusters/prod/...", pat)}
	}
	abs := filepath.Clean(filepath.Join(dir, filepath.FromSlash(base)))
	if filepath.IsAbs(base) {
		abs = filepath.Clean(base)
	}
	// A recursive pattern at or above clusters/ means the clusters in it.
	if r, err := filepath.Rel(abs, clustersRoot); err == nil && recursive && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		abs = clustersRoot
	}
	r, err := filepath.Rel(clustersRoot, abs)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false, &UsageError{Msg: fmt.Sprintf("pattern %q: not under %s; patterns select cluster directories, as in ./clusters/... or ./clusters/prod/edge-1", pat, rel(dir, clustersRoot))}
	}
	name := path.Join(ClustersDir, filepath.ToSlash(r))
	fi, err := fsys.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.IsDir()):
		return "", false, &UsageError{Msg: fmt.Sprintf("pattern %q: no such directory %s", pat, rel(dir, abs))}
	case err != nil:
		return "", false, fsys.refusal(token.NoPos, "", err)
	}
	return name, recursive, nil
}

// scanner reads and hashes the module's inputs, remembering each
// directory's own hash and the tag names the files hold, and collects
// what it refuses and the files that are not UTF-8. Paths are relative to
// the module root, slash-separated.
type scanner struct {
	fsys *moduleFS
	// mu guards what follows but own: the files of directories are
	// hashed in parallel (hashDirs).
	mu   sync.Mutex
	own  map[string]Hash
	tags map[string]bool
	// required are the tags read by a field without a default.
	required map[string]bool
	tagPos   map[string]token.Pos
	// refused holds the paths refused, in order, each reported once,
	// where it is used if that is known (the @embed that reads it).
	refused []string
	refusal map[string]cueerrors.Error
	bad     cueerrors.Error
	// importers are the files under clusters/ that import the bundles
	// package.
	importers []string
	wiring    []byte
}

// refuse records an error reading the module, at pos if there is one.
func (s *scanner) refuse(pos token.Pos, what string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		s.bad = cueerrors.Append(s.bad, s.fsys.refusal(pos, what, err))
		return
	}
	if prev, ok := s.refusal[pe.Path]; ok && (prev.Position().IsValid() || !pos.IsValid()) {
		return
	} else if !ok {
		s.refused = append(s.refused, pe.Path)
	}
	s.refusal[pe.Path] = s.fsys.refusal(pos, what, err)
}

// errs are the errors found.
func (s *scanner) errs() cueerrors.Error {
	errs := s.bad
	// By path: directories are read in parallel.
	for _, p := range slices.Sorted(slices.Values(s.refused)) {
		errs = cueerrors.Append(errs, s.refusal[p])
	}
	return errs
}

// cueDirs lists base, and with recursive the directories below it, that
// hold .cue files, and hashes the files of each directory it reads into
// s.own. As with cue and go, names that start with "." or "_" are skipped.
// Every other entry must be a directory or a regular file: a symlink, a
// FIFO or a device is refused, as is a directory that cannot be read,
// rather than skipped, which would prune the clusters in it.
//
// A module of a thousand clusters has a thousand directories: each is
// opened once, relative to its parent (an os.Root of its own, so that
// reading its entries and files resolves one name each), listed and its
// .cue files read, several directories at a time.
func (s *scanner) cueDirs(base string, recursive bool) []string {
	if _, err := s.fsys.lstat("open", base); err != nil {
		s.refuse(token.NoPos, "", err)
		return nil
	}
	r, err := s.fsys.root.OpenRoot(base)
	if err != nil {
		s.refuse(token.NoPos, "", pathErr("open", base, err))
		return nil
	}
	w := &dirWalk{s: s, recursive: recursive, slots: make(chan struct{}, 3), own: map[string]Hash{}}
	w.visit(r, base)
	w.wg.Wait()
	maps.Copy(s.own, w.own)
	slices.Sort(w.dirs)
	return w.dirs
}

// dirWalk is one walk of cueDirs.
type dirWalk struct {
	s         *scanner
	recursive bool
	// slots bound the directories visited at once besides the caller's.
	slots chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex // guards dirs and own
	dirs  []string
	own   map[string]Hash
}

// visit reads the directory dir, open as r, and closes it; with
// recursive, it visits the directories in it, on another goroutine when a
// slot is free.
func (w *dirWalk) visit(r *os.Root, dir string) {
	defer r.Close()
	entries, err := readDirIn(r, dir)
	if err != nil {
		w.s.refuse(token.NoPos, "", err)
		return
	}
	sum := sha256.New()
	hasCUE := false
	var subdirs []string
	for _, e := range entries {
		name := e.Name()
		p := path.Join(dir, name)
		switch {
		case ignored(name):
		case e.IsDir():
			subdirs = append(subdirs, name)
		case e.Type().IsRegular():
			if !strings.HasSuffix(name, ".cue") {
				continue
			}
			hasCUE = true
			data, err := readFileIn(r, name, p)
			if err != nil {
				w.s.refuse(token.NoPos, "", err)
				continue
			}
			w.s.add(sum, p, name, data)
		default:
			w.s.refuse(token.NoPos, "", &fs.PathError{Op: "read", Path: p, Err: kindError{e.Type()}})
		}
	}
	w.mu.Lock()
	w.own[dir] = Hash(sum.Sum(nil))
	if hasCUE {
		w.dirs = append(w.dirs, dir)
	}
	w.mu.Unlock()
	if !w.recursive {
		return
	}
	for _, name := range subdirs {
		p := path.Join(dir, name)
		sub, err := r.OpenRoot(name)
		if err != nil {
			w.s.refuse(token.NoPos, "", pathErr("open", p, err))
			continue
		}
		select {
		case w.slots <- struct{}{}:
			w.wg.Go(func() {
				defer func() { <-w.slots }()
				w.visit(sub, p)
			})
		default:
			w.visit(sub, p)
		}
	}
}

// readDirIn lists the directory r, at dir in the module, sorted by name.
func readDirIn(r *os.Root, dir string) ([]fs.DirEntry, error) {
	f, err := r.Open(".")
	if err != nil {
		return nil, pathErr("open", dir, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, pathErr("readdir", dir, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// readFileIn reads the file name of the directory r, at p in the module,
// refusing what is not a regular file (as moduleFS.ReadFile does: one
// swapped in since the directory was listed).
func readFileIn(r *os.Root, name, p string) ([]byte, error) {
	f, err := r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, pathErr("open", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, pathErr("stat", p, err)
	}
	if !fi.Mode().IsRegular() {
		if err := kindErr("open", p, fi.Mode()); err != nil {
			return nil, err
		}
		return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	}
	data, err := safefile.ReadAll(f, fi.Size())
	if err != nil {
		return nil, pathErr("read", p, err)
	}
	return data, nil
}

// pathErr is err, from an operation on an os.Root below the module's,
// naming p, the path from the module root, as moduleFS's errors do.
func pathErr(op, p string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: p, Err: err}
}

// ignored says whether cue and go skip a file or directory of this name.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func isCUEFile(e fs.DirEntry) bool {
	return !e.IsDir() && strings.HasSuffix(e.Name(), ".cue") && !ignored(e.Name())
}

// dir hashes d's inputs and those of its parents up to clusters/.
func (s *scanner) dir(d string) Hash {
	sum := sha256.New()
	for p := d; ; p = path.Dir(p) {
		own, ok := s.own[p]
		if !ok {
			own = s.files(p)
			s.own[p] = own
		}
		sum.Write(own[:])
		if p == ClustersDir || !strings.Contains(p, "/") {
			break
		}
	}
	return Hash(sum.Sum(nil))
}

// hashDirs hashes the files of dirs and of their parents (see dir) into
// s.own, a few directories at a time: a module of a thousand clusters has
// a thousand directories to read.
func (s *scanner) hashDirs(dirs []string) {
	var todo []string
	seen := map[string]bool{}
	for _, d := range dirs {
		for p := d; ; p = path.Dir(p) {
			if _, ok := s.own[p]; !ok && !seen[p] {
				seen[p] = true
				todo = append(todo, p)
			}
			if p == ClustersDir || !strings.Contains(p, "/") {
				break
			}
		}
	}
	sums := make([]Hash, len(todo))
	var wg sync.WaitGroup
	next := atomic.Int64{}
	for range min(4, len(todo)) {
		wg.Go(func() {
			for k := int(next.Add(1) - 1); k < len(todo); k = int(next.Add(1) - 1) {
				sums[k] = s.files(todo[k])
			}
		})
	}
	wg.Wait()
	for k, p := range todo {
		s.own[p] = sums[k]
	}
}

// files hashes the names and bytes of the .cue files directly in dir and
// of the files they embed.
func (s *scanner) files(dir string) Hash {
	sum := sha256.New()
	entries, err := s.fsys.ReadDir(dir)
	if err != nil {
		s.refuse(token.NoPos, "", err)
		return Hash{}
	}
	for _, e := range entries {
		if !isCUEFile(e) {
			continue
		}
		s.file(sum, path.Join(dir, e.Name()), e.Name())
	}
	return Hash(sum.Sum(nil))
}

// file hashes a .cue file, under the given name, and what it embeds, and
// returns its bytes.
func (s *scanner) file(sum hash.Hash, p, name string) []byte {
	data, err := s.fsys.ReadFile(p)
	if err != nil {
		s.refuse(token.NoPos, "", err)
		return nil
	}
	s.add(sum, p, name, data)
	return data
}

// add hashes data, the bytes of the .cue file at p, under the given name,
// and what it embeds, and records the tags it reads and whether it
// imports the bundles.
func (s *scanner) add(sum hash.Hash, p, name string, data []byte) {
	abs := s.fsys.abs(p)
	if bad := checkUTF8(abs, data); bad != nil {
		s.mu.Lock()
		s.bad = cueerrors.Append(s.bad, bad)
		s.mu.Unlock()
	}
	fmt.Fprintf(sum, "%s\x00%d\x00", name, len(data))
	sum.Write(data)
	s.addTags(abs, data)
	if bytes.Contains(data, []byte("@extern")) {
		s.embeds(sum, p, data)
	}
	if strings.HasPrefix(p, ClustersDir+"/") && importsBundles(abs, data) {
		s.mu.Lock()
		if !slices.Contains(s.importers, p) {
			s.importers = append(s.importers, p)
			s.wiring = data
		}
		s.mu.Unlock()
	}
}

// embeds hashes the files that the @embed attributes of the .cue file at
// p read, found as cue/inject/embed finds them, through the same view of
// the module: those that platformc refuses are errors at the attribute.
// What cue/load or the evaluation reports itself (a syntax error, a bad
// attribute, a file that does not exist, a glob without matches) only
// changes the hash.
func (s *scanner) embeds(sum hash.Hash, p string, data []byte) {
	f, err := parser.ParseFile(s.fsys.abs(p), data, parser.ParseComments)
	if err != nil {
		return
	}
	embeds, _ := embed.EmbeddedPaths(p, f)
	for _, e := range embeds {
		names, err := e.FindAll(s.fsys)
		var pe *fs.PathError
		if err != nil && errors.As(err, &pe) && !errors.Is(err, fs.ErrNotExist) {
			s.refuse(e.Attribute.Pos, "@embed: ", pe)
			continue
		}
		fmt.Fprintf(sum, "embed\x00%d\x00%t\x00", len(names), err == nil)
		for _, name := range names {
			if fi, err := s.fsys.Stat(name); err == nil && fi.IsDir() {
				continue // cue skips the directories a glob matches
			}
			data, err := s.fsys.ReadFile(name)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					s.refuse(e.Attribute.Pos, "@embed: ", err)
				}
				continue
			}
			fmt.Fprintf(sum, "%s\x00%d\x00", name, len(data))
			sum.Write(data)
		}
	}
}

// platformDirs are the directories of the module in which every entry
// must be a directory or a regular file, as under clusters/.
var platformDirs = map[string]bool{"cue.mod": true, SchemaDir: true, PlatformDir: true, BundlesDir: true}

// shared hashes every .cue file of the module outside clusters/, with its
// path, and what it embeds: whatever a cluster imports is among them. In
// cue.mod/, schema/, platform/ and bundles/ every entry must be a
// directory or a regular file; elsewhere in the module, what is not read
// is not refused (a symlinked directory is not followed, and a file that
// cue/load reads through it is refused after loading), but a .cue file
// must be a regular file.
func (s *scanner) shared() (shared, base Hash, bundles map[string]Hash) {
	sum, baseSum := sha256.New(), sha256.New()
	perBundle := bundleHashes{}
	attributable := true
	var walk func(dir string, strict bool)
	walk = func(dir string, strict bool) {
		entries, err := s.fsys.ReadDir(dir)
		if err != nil {
			s.refuse(token.NoPos, "", err)
			return
		}
		for _, e := range entries {
			name := e.Name()
			p := path.Join(dir, name)
			top := dir == "."
			strict := strict || top && platformDirs[name]
			switch {
			case top && name == ClustersDir:
			case e.IsDir():
				if !ignored(name) || top && name == "cue.mod" {
					walk(p, strict)
				}
			case e.Type().IsRegular():
				if !strings.HasSuffix(name, ".cue") {
					continue
				}
				one := sha256.New()
				data := s.file(one, p, p)
				fileSum := Hash(one.Sum(nil))
				sum.Write(fileSum[:])
				if dir == BundlesDir && !ignored(name) {
					names, ok, reads := bundleFile(s.fsys.abs(p), data)
					attributable = attributable && !reads
					if ok {
						perBundle.add(names, p, fileSum)
						continue
					}
				} else if importsBundles(s.fsys.abs(p), data) {
					// Another package reading the bundles: what reads it
					// may read any bundle.
					attributable = false
				}
				fmt.Fprintf(baseSum, "%s\x00", p)
				baseSum.Write(fileSum[:])
			case ignored(name):
			case strict || strings.HasSuffix(name, ".cue"):
				s.refuse(token.NoPos, "", &fs.PathError{Op: "read", Path: p, Err: kindError{e.Type()}})
			}
		}
	}
	walk(".", false)
	shared = Hash(sum.Sum(nil))
	if !attributable {
		return shared, shared, nil
	}
	return shared, Hash(baseSum.Sum(nil)), perBundle.sums()
}

// addTags records the tag names the file name holds, and which are read
// by a field without a default: parsed, since only the syntax says so.
func (s *scanner) addTags(name string, data []byte) {
	if !bytes.Contains(data, []byte("@tag(")) {
		return
	}
	names := tagNames(data)
	f, err := parser.ParseFile(name, data, parser.ParseComments)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tag := range names {
		s.tags[tag] = true
	}
	if err != nil {
		// cue/load reports it; meanwhile a placeholder may be needed.
		for _, tag := range names {
			s.required[tag] = true
		}
		return
	}
	for _, u := range tagUses(f) {
		if p, ok := s.tagPos[u.name]; !ok || u.attr.Pos().Filename() < p.Filename() {
			s.tagPos[u.name] = u.attr.Pos()
		}
		if !u.hasDefault {
			s.required[u.name] = true
		}
	}
}

// module is the module as Scan read it, or, for Inputs made elsewhere,
// the module at Root.
func (in *Inputs) module() (*moduleFS, error) {
	if in.fsys != nil {
		return in.fsys, nil
	}
	return openModule(in.Root)
}
