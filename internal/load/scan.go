package load

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
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
	// schema, defaults, bundles, cue.mod): every cluster depends on them.
	Shared Hash
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
}

// DirInput is one selected cluster directory.
type DirInput struct {
	// Dir is the absolute directory.
	Dir string
	// Hash covers the names and bytes of the .cue files in Dir and in each
	// parent directory up to clusters/: the files cue/load unifies into
	// the directory's instance.
	Hash Hash
}

// Scan finds the module root from cfg.Dir, resolves the patterns to the
// cluster directories they select and hashes their inputs. A bad pattern
// is a *UsageError. A module that lacks a platform's directories, or a
// source file that is not UTF-8, is a cue/errors list with positions;
// the Inputs returned with it carry the Root to report them against.
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
	in := &Inputs{Root: root}
	if errs := checkLayout(root); errs != nil {
		return in, errs
	}
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{DefaultPattern}
	}
	h := &hasher{own: map[string]Hash{}, tags: map[string]bool{}, required: map[string]bool{}, tagPos: map[string]token.Pos{}}
	seen := map[string]bool{}
	for _, pat := range patterns {
		base, recursive, err := resolve(root, dir, pat)
		if err != nil {
			return nil, err
		}
		if recursive && base == filepath.Join(root, ClustersDir) {
			in.Complete = true
		}
		dirs, err := cueDirs(base, recursive)
		if err != nil {
			return nil, err
		}
		for _, d := range dirs {
			if seen[d] {
				continue
			}
			seen[d] = true
			hash, err := h.dir(root, d)
			if err != nil {
				return nil, err
			}
			in.Dirs = append(in.Dirs, DirInput{Dir: d, Hash: hash})
		}
	}
	slices.SortFunc(in.Dirs, func(a, b DirInput) int { return strings.Compare(a.Dir, b.Dir) })
	if in.Shared, err = h.shared(root); err != nil {
		return nil, err
	}
	in.Tags = slices.Sorted(maps.Keys(h.tags))
	in.Required = slices.Sorted(maps.Keys(h.required))
	in.TagPos = h.tagPos
	if h.bad != nil {
		return in, h.bad
	}
	return in, nil
}

// resolve checks a pattern and returns the directory it names and whether
// it selects the directories below it too.
func resolve(root, dir, pat string) (string, bool, error) {
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
	if !isDir(abs) {
		return "", false, &UsageError{Msg: fmt.Sprintf("pattern %q: no such directory %s", pat, rel(dir, abs))}
	}
	return abs, recursive, nil
}

// cueDirs lists base, and with recursive the directories below it, that
// hold .cue files. As with cue and go, directories whose names start with
// "." or "_" are skipped.
func cueDirs(base string, recursive bool) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if p != base && (!recursive || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_")) {
			return fs.SkipDir
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(entries, isCUEFile) {
			dirs = append(dirs, p)
		}
		return nil
	})
	return dirs, err
}

func isCUEFile(e fs.DirEntry) bool {
	return !e.IsDir() && strings.HasSuffix(e.Name(), ".cue") && !strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(e.Name(), "_")
}

// hasher hashes directories, remembering each directory's own files and
// the tag names the files hold, and collects the files that are not UTF-8.
type hasher struct {
	own  map[string]Hash
	tags map[string]bool
	// required are the tags read by a field without a default.
	required map[string]bool
	tagPos   map[string]token.Pos
	bad      cueerrors.Error
}

// dir hashes d's files and those of its parents up to clusters/.
func (h *hasher) dir(root, d string) (Hash, error) {
	clustersRoot := filepath.Join(root, ClustersDir)
	sum := sha256.New()
	for p := d; ; p = filepath.Dir(p) {
		own, ok := h.own[p]
		if !ok {
			var err error
			if own, err = h.files(p); err != nil {
				return Hash{}, err
			}
			h.own[p] = own
		}
		sum.Write(own[:])
		if p == clustersRoot || len(p) <= len(clustersRoot) {
			break
		}
	}
	return Hash(sum.Sum(nil)), nil
}

// files hashes the names and bytes of the .cue files directly in dir.
func (h *hasher) files(dir string) (Hash, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Hash{}, err
	}
	sum := sha256.New()
	for _, e := range entries {
		if !isCUEFile(e) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return Hash{}, err
		}
		h.bad = cueerrors.Append(h.bad, checkUTF8(filepath.Join(dir, e.Name()), data))
		fmt.Fprintf(sum, "%s\x00%d\x00", e.Name(), len(data))
		sum.Write(data)
		h.addTags(filepath.Join(dir, e.Name()), data)
	}
	return Hash(sum.Sum(nil)), nil
}

// shared hashes every .cue file of the module outside clusters/, with its
// path: whatever a cluster imports is among them.
func (h *hasher) shared(root string) (Hash, error) {
	clustersRoot := filepath.Join(root, ClustersDir)
	sum := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p == clustersRoot || (p != root && name != "cue.mod" && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"))) {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".cue") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h.bad = cueerrors.Append(h.bad, checkUTF8(p, data))
		r, _ := filepath.Rel(root, p)
		fmt.Fprintf(sum, "%s\x00%d\x00", filepath.ToSlash(r), len(data))
		sum.Write(data)
		h.addTags(p, data)
		return nil
	})
	return Hash(sum.Sum(nil)), err
}

// addTags records the tag names the file name holds, and which are read
// by a field without a default: parsed, since only the syntax says so.
func (h *hasher) addTags(name string, data []byte) {
	if !bytes.Contains(data, []byte("@tag(")) {
		return
	}
	for _, tag := range tagNames(data) {
		h.tags[tag] = true
	}
	f, err := parser.ParseFile(name, data, parser.ParseComments)
	if err != nil {
		// cue/load reports it; meanwhile a placeholder may be needed.
		for _, tag := range tagNames(data) {
			h.required[tag] = true
		}
		return
	}
	for _, u := range tagUses(f) {
		if p, ok := h.tagPos[u.name]; !ok || u.attr.Pos().Filename() < p.Filename() {
			h.tagPos[u.name] = u.attr.Pos()
		}
		if !u.hasDefault {
			h.required[u.name] = true
		}
	}
}
