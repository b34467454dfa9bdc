package load

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// What a cluster depends on of the bundles.
//
// A cluster reads of every bundle only its catalog entry (required,
// requires, app names), and of the bundles it enables their apps' values
// and metadata: that is what the clusters package's wiring reads
// (clusters/clusters.cue, as platformc init writes it). A file of
// bundles/ that declares nothing but bundles, each by its literal name,
// and reads nothing through the package's bundles field, can then change
// only what the clusters enabling those bundles get, and the catalog. Such
// a file is a bundle file: its hash counts for those clusters only (see
// Inputs.Bundles); every other file outside clusters/ counts for every
// cluster (Inputs.Base).
//
// Where the module does anything else (a file of bundles/ that reads
// another bundle through bundles, a cluster file importing the bundles
// package other than the wiring), no file is a bundle file: every cluster
// depends on all of them, as the build cache assumed before.

// bundleFile reports the bundles a file of bundles/ declares if it is a
// bundle file (see above): every declaration besides the package clause,
// imports and comments is a bundles field whose value is a struct of
// bundles by literal name, no expression refers to an identifier named
// bundles, and nothing is embedded.
func bundleFile(name string, data []byte) (names []string, ok bool, readsBundles bool) {
	if bytes.Contains(data, []byte("@extern")) || bytes.Contains(data, []byte("@embed")) {
		return nil, false, refersToBundles(name, data)
	}
	f, err := parser.ParseFile(name, data)
	if err != nil {
		return nil, false, true
	}
	if refersTo(f, "bundles") {
		return nil, false, true
	}
	seen := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.Package, *ast.ImportDecl, *ast.CommentGroup, *ast.Attribute:
			continue
		case *ast.Field:
			if labelName(d.Label) != "bundles" || d.Constraint != token.ILLEGAL {
				return nil, false, false
			}
			s, isStruct := d.Value.(*ast.StructLit)
			if !isStruct {
				return nil, false, false
			}
			for _, e := range s.Elts {
				switch e := e.(type) {
				case *ast.CommentGroup:
				case *ast.Field:
					n := labelName(e.Label)
					if n == "" || e.Constraint != token.ILLEGAL {
						return nil, false, false
					}
					seen[n] = true
				default:
					return nil, false, false
				}
			}
		default:
			return nil, false, false
		}
	}
	if len(seen) == 0 {
		return nil, false, false
	}
	for n := range seen {
		// A bundle that reads a sibling by name reads whatever declares
		// it, in this file or another.
		if refersTo(f, n) {
			return nil, false, true
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names, true, false
}

// labelName is the name a field's label declares: an identifier or a
// string without interpolation; "" for anything else (a pattern, an
// alias, a parenthesised expression).
func labelName(l ast.Label) string {
	switch l := l.(type) {
	case *ast.Ident:
		if strings.HasPrefix(l.Name, "#") || strings.HasPrefix(l.Name, "_") {
			return ""
		}
		return l.Name
	case *ast.BasicLit:
		if s, err := strconv.Unquote(l.Value); err == nil {
			return s
		}
	}
	return ""
}

// refersTo reports whether an expression of f (not a field's label, the
// package clause or an import) names the identifier name.
func refersTo(f *ast.File, name string) bool {
	found := false
	labels := map[ast.Node]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.Package, *ast.ImportDecl:
			return false // the package's own name, the imports' names
		case *ast.Field:
			labels[n.Label] = true
		case *ast.Ident:
			if !labels[n] && n.Name == name {
				found = true
			}
		}
		return true
	}, nil)
	return found
}

func refersToBundles(name string, data []byte) bool {
	f, err := parser.ParseFile(name, data)
	return err != nil || refersTo(f, "bundles")
}

// importsBundles reports whether a file under clusters/ imports the
// module's bundles package (any import path ending in /bundles counts).
func importsBundles(name string, data []byte) bool {
	if !bytes.Contains(data, []byte("/"+BundlesDir)) {
		return false
	}
	f, err := parser.ParseFile(name, data, parser.ImportsOnly)
	if err != nil {
		return true
	}
	for spec := range f.ImportSpecs() {
		p, err := strconv.Unquote(spec.Path.Value)
		if err != nil || path.Base(strings.SplitN(p, "@", 2)[0]) == BundlesDir {
			return true
		}
	}
	return false
}

// bundleHashes combines, per bundle, the hashes of its files, in the
// order of their paths.
type bundleHashes map[string][]pathHash

type pathHash struct {
	path string
	sum  Hash
}

func (b bundleHashes) add(names []string, p string, sum Hash) {
	for _, n := range names {
		b[n] = append(b[n], pathHash{p, sum})
	}
}

func (b bundleHashes) sums() map[string]Hash {
	out := make(map[string]Hash, len(b))
	for n, files := range b {
		slices.SortFunc(files, func(x, y pathHash) int { return strings.Compare(x.path, y.path) })
		h := sha256.New()
		for _, f := range files {
			fmt.Fprintf(h, "%s\x00", f.path)
			h.Write(f.sum[:])
		}
		out[n] = Hash(h.Sum(nil))
	}
	return out
}
