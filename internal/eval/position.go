package eval

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/load"
)

// fieldPos finds, in the user's files of inst, the field that sets the
// deepest prefix of path (e.g. clusters: [_]: env: "prd" for
// clusters."prod-edge-1".env), and how many elements of path it matched.
// Pattern labels ([_]) match any name.
func fieldPos(inst *build.Instance, path []string) (token.Pos, int) {
	var best token.Pos
	bestDepth := 0
	for _, f := range inst.Files {
		if !isUserFile(inst, f.Filename) {
			continue
		}
		pos, depth := findField(f.Decls, path)
		// The deepest field wins; at equal depth, the file deepest in the
		// tree, which is the most specific (the cluster's own over its
		// environment's).
		if depth > bestDepth || (depth == bestDepth && depth > 0 && dirDepth(pos.Filename()) > dirDepth(best.Filename())) {
			best, bestDepth = pos, depth
		}
	}
	return best, bestDepth
}

func findField(decls []ast.Decl, path []string) (token.Pos, int) {
	if len(path) == 0 {
		return token.NoPos, 0
	}
	var best token.Pos
	bestDepth := 0
	for _, decl := range decls {
		field, ok := decl.(*ast.Field)
		if !ok || !labelMatches(field.Label, path[0]) {
			continue
		}
		pos, depth := field.Label.Pos(), 1
		if st, ok := field.Value.(*ast.StructLit); ok {
			if p, d := findField(st.Elts, path[1:]); d > 0 {
				pos, depth = p, d+1
			}
		}
		if depth > bestDepth {
			best, bestDepth = pos, depth
		}
	}
	return best, bestDepth
}

func labelMatches(label ast.Label, sel string) bool {
	if _, ok := label.(*ast.ListLit); ok {
		return true // a pattern constraint: [_] or [Name=string]
	}
	name, _, err := ast.LabelName(label)
	if err != nil {
		return false
	}
	if s, err := strconv.Unquote(sel); err == nil {
		sel = s
	}
	return name == sel
}

// isUserFile reports whether file is one the platform's users write for
// this cluster: in the instance's directory or a parent directory below
// clusters/, not the shared clusters/clusters.cue.
func isUserFile(inst *build.Instance, file string) bool {
	root := filepath.Join(inst.Root, load.ClustersDir)
	dir := filepath.Dir(file)
	return dir != root && strings.HasPrefix(file, root+string(filepath.Separator))
}

func dirDepth(file string) int { return strings.Count(filepath.ToSlash(file), "/") }

// elementPos is, for a policy error about one bundle of a cluster
// (_checks.unknown.NAME), where the cluster's files list NAME in its
// bundles; else no position.
func elementPos(inst *build.Instance, path []string, h *hints) token.Pos {
	i := slices.Index(path, checksField)
	if h == nil || i < 0 || i+2 >= len(path) || path[i+1] != "unknown" {
		return token.NoPos
	}
	name := unquote(path[i+2])
	bundles := append(slices.Clone(path[:i]), "bundles")
	for _, f := range inst.Files {
		if !isUserFile(inst, f.Filename) {
			continue
		}
		var found token.Pos
		ast.Walk(f, func(n ast.Node) bool {
			field, ok := n.(*ast.Field)
			if !ok || found.IsValid() {
				return !found.IsValid()
			}
			if l, _, err := ast.LabelName(field.Label); err != nil || l != "bundles" {
				return true
			}
			if list, ok := field.Value.(*ast.ListLit); ok {
				for _, elt := range list.Elts {
					if lit, ok := elt.(*ast.BasicLit); ok && unquote(lit.Value) == name {
						found = lit.Pos()
					}
				}
			}
			return false
		}, nil)
		if found.IsValid() {
			if _, depth := fieldPos(inst, bundles); depth > 0 {
				return found
			}
		}
	}
	return token.NoPos
}
