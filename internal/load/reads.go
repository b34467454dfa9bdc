package load

import (
	"slices"
	"strings"

	"cuelang.org/go/cue/ast"
)

// ViewPath is a path below #cluster in package bundles (the cluster's
// #view), as selectors: {"settings", "registry"}. The empty path is the
// whole view.
type ViewPath []string

// ViewReads finds, from the syntax of package bundles (files), which
// fields of #cluster each app's values may read: by app name, the paths
// they may read, a path standing for everything below it. It
// over-approximates, so that an app's values are a function of what it
// lists: an app missing from the result, or whose paths include the empty
// path (the whole view), is one to evaluate for each cluster.
//
// How it reads the syntax: an app is a field bundles: <bundle>: apps:
// <app>: with literal labels. What an app's values may depend on is its
// own declarations, its bundle's declarations other than its apps, every
// declaration whose label is not a literal (patterns, dynamic labels) and
// every comprehension and embedding at the top of a file; then, whatever
// those refer to by name, as every declaration (field or let, at any
// depth, in any file) with that label — a name's scope is not resolved,
// which only adds. A #cluster followed by selectors reads the path they
// spell; one used otherwise (passed whole, indexed, let-bound) reads the
// whole view. An alias is one more name for what it holds.
func ViewReads(files []*ast.File) map[string][]ViewPath {
	r := &readsOf{byName: map[string][]ast.Node{}, apps: map[string][]ast.Node{}}
	for _, f := range files {
		r.index(f)
	}
	out := map[string][]ViewPath{}
	for app, own := range r.apps {
		out[app] = r.closure(own)
	}
	return out
}

// readsOf indexes the declarations of package bundles.
type readsOf struct {
	// byName are the declarations with each literal label (or let name):
	// their values.
	byName map[string][]ast.Node
	// global are read by every app: declarations without a literal label,
	// comprehensions and embeddings at the top of a file.
	global []ast.Node
	// apps are each app's own declarations, with its bundle's other
	// declarations.
	apps map[string][]ast.Node
}

func (r *readsOf) add(name string, n ast.Node) {
	r.byName[name] = append(r.byName[name], n)
}

// index adds f to r.
func (r *readsOf) index(f *ast.File) {
	labelAliases := map[*ast.Alias]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			label := x.Label
			// An alias names the field (X=label: v, label~X: v,
			// label~(K,X): v): X is a name for its value.
			if a, ok := label.(*ast.Alias); ok {
				labelAliases[a] = true
				r.add(a.Ident.Name, x.Value)
				if l, ok := a.Expr.(ast.Label); ok {
					label = l
				}
			}
			if x.Alias != nil && x.Alias.Field != nil {
				r.add(x.Alias.Field.Name, x.Value)
			}
			if name, ok := literalLabel(label); ok {
				r.add(name, x.Value)
			} else {
				r.global = append(r.global, x)
			}
		case *ast.Alias:
			// Elsewhere (a pattern's [X=string], a value's X=expr), X
			// names what the alias holds.
			if !labelAliases[x] {
				r.add(x.Ident.Name, x.Expr)
			}
		case *ast.LetClause:
			r.add(x.Ident.Name, x.Expr)
		case *ast.Comprehension:
			r.global = append(r.global, x)
		}
		return true
	}, nil)
	for _, d := range f.Decls {
		switch x := d.(type) {
		case *ast.Field:
			if name, ok := literalLabel(x.Label); ok && name == "bundles" {
				r.bundles(x.Value)
			}
		case *ast.EmbedDecl:
			r.global = append(r.global, x)
		}
	}
}

// bundles indexes the apps of the value of a bundles: field: those of
// bundles: <bundle>: apps: <app>: with literal labels.
func (r *readsOf) bundles(v ast.Expr) {
	st, ok := v.(*ast.StructLit)
	if !ok {
		return
	}
	for _, elt := range st.Elts {
		f, ok := elt.(*ast.Field)
		if !ok {
			continue // global, or found by name
		}
		if _, ok := literalLabel(f.Label); !ok {
			continue
		}
		b, ok := f.Value.(*ast.StructLit)
		if !ok {
			continue // its apps are not found: evaluated per cluster
		}
		// What the bundle declares besides its apps, for each of them.
		var rest []ast.Node
		var apps []*ast.Field
		for _, elt := range b.Elts {
			af, ok := elt.(*ast.Field)
			name, lit := "", false
			if ok {
				name, lit = literalLabel(af.Label)
			}
			as, isStruct := ast.Expr(nil), false
			if ok && lit && name == "apps" {
				as = af.Value
				_, isStruct = as.(*ast.StructLit)
			}
			if !isStruct {
				rest = append(rest, elt)
				continue
			}
			for _, ae := range as.(*ast.StructLit).Elts {
				if a, ok := ae.(*ast.Field); ok {
					if _, ok := literalLabel(a.Label); ok {
						apps = append(apps, a)
						continue
					}
				}
				rest = append(rest, ae)
			}
		}
		for _, a := range apps {
			name, _ := literalLabel(a.Label)
			r.apps[name] = append(r.apps[name], a.Value)
			r.apps[name] = append(r.apps[name], rest...)
		}
	}
}

// closure returns the paths of #cluster that nodes, the globals and
// whatever they refer to by name read, sorted and without one below
// another.
func (r *readsOf) closure(nodes []ast.Node) []ViewPath {
	todo := append(slices.Clone(nodes), r.global...)
	seen := map[string]bool{}
	var paths []ViewPath
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		refs, reads := references(n)
		paths = append(paths, reads...)
		for _, name := range refs {
			if !seen[name] {
				seen[name] = true
				todo = append(todo, r.byName[name]...)
			}
		}
	}
	return minimal(paths)
}

// references returns the names n refers to and the paths of #cluster it
// reads.
func references(n ast.Node) (names []string, reads []ViewPath) {
	notRef := map[*ast.Ident]bool{}
	inChain := map[*ast.SelectorExpr]bool{}
	ast.Walk(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			if id, ok := x.Label.(*ast.Ident); ok {
				notRef[id] = true
			}
		case *ast.LetClause:
			notRef[x.Ident] = true
		case *ast.ForClause:
			notRef[x.Key] = true
			notRef[x.Value] = true
		case *ast.SelectorExpr:
			if id, ok := x.Sel.(*ast.Ident); ok {
				notRef[id] = true
			}
			if inChain[x] {
				break
			}
			// The outermost selector of a chain is seen first.
			for in, ok := x.X.(*ast.SelectorExpr); ok; in, ok = in.X.(*ast.SelectorExpr) {
				inChain[in] = true
			}
			if p, base, ok := chain(x); ok {
				notRef[base] = true
				reads = append(reads, p)
			}
		case *ast.Ident:
			if notRef[x] {
				break
			}
			if x.Name == "#cluster" {
				reads = append(reads, ViewPath{}) // used whole
				break
			}
			names = append(names, x.Name)
		}
		return true
	}, nil)
	return names, reads
}

// chain returns the path that sel, the outermost of a chain of selectors
// on #cluster, reads, and the #cluster it starts from.
func chain(sel *ast.SelectorExpr) (ViewPath, *ast.Ident, bool) {
	var rev []string
	var x ast.Expr = sel
	for {
		s, ok := x.(*ast.SelectorExpr)
		if !ok {
			break
		}
		name, lit := literalLabel(s.Sel)
		if !lit || strings.HasPrefix(name, "_") {
			rev = rev[:0] // read from there on, whatever it is
		} else {
			rev = append(rev, name)
		}
		x = s.X
	}
	id, ok := x.(*ast.Ident)
	if !ok || id.Name != "#cluster" {
		return nil, nil, false
	}
	p := make(ViewPath, 0, len(rev))
	for i := len(rev) - 1; i >= 0; i-- {
		p = append(p, rev[i])
	}
	return p, id, true
}

// literalLabel returns the name of an identifier or string label.
func literalLabel(l ast.Label) (string, bool) {
	switch l.(type) {
	case *ast.Ident, *ast.BasicLit:
		name, _, err := ast.LabelName(l)
		return name, err == nil
	}
	return "", false
}

// minimal sorts paths and drops those below another.
func minimal(paths []ViewPath) []ViewPath {
	slices.SortFunc(paths, func(a, b ViewPath) int { return slices.Compare(a, b) })
	var out []ViewPath
	for _, p := range paths {
		if len(out) > 0 && hasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

func hasPrefix(p, prefix ViewPath) bool {
	return len(p) >= len(prefix) && slices.Equal(p[:len(prefix)], prefix)
}

// String is the path as CUE spells it below #cluster.
func (p ViewPath) String() string {
	return "#cluster" + strings.Join(append([]string{""}, p...), ".")
}
