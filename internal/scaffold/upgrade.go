package scaffold

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// What platformc init --upgrade-schema rewrites in a platform's own files
// when the schema's version changes. Schema v3 changed how the clusters
// package joins the bundles to a cluster (clusters/clusters.cue), so that
// each cluster evaluates only what the policy checks read of the bundles
// and the values of the apps it enables, one app at a time; and package
// bundles declares #cluster as _ (bundles/bundles.cue), so that the
// cluster's view is shared by its apps. The bundles themselves
// (bundles: <name>: apps: <app>: values: ...) are written as before.
//
// The rewrites are made on the syntax, with cue/ast: a file that does not
// have the shape platformc init wrote is left alone, and its Upgrade
// reports that nothing was found.

// UpgradeClusters rewrites the v2 wiring of a file of package clusters,
//
//	#catalog: bundles.bundles
//	#bundles: (bundles & {#cluster: C.#view}).bundles
//
// inside clusters: [Name=string]: C=(schema.#Cluster & {...}), into the
// v3 wiring (CatalogField and ValuesField). It reports whether it changed
// anything; v3 reports whether the file has the v3 wiring, written before
// or by this rewrite.
func UpgradeClusters(name string, src []byte) (out []byte, changed, v3 bool, err error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, false, false, err
	}
	for _, st := range clusterStructs(f) {
		alias, lit := st.alias, st.lit
		var catalog, bundles *ast.Field
		for _, elt := range lit.Elts {
			field, ok := elt.(*ast.Field)
			if !ok {
				continue
			}
			switch label, _, _ := ast.LabelName(field.Label); label {
			case "#catalog":
				catalog = field
			case "#bundles":
				bundles = field
			case "values":
				v3 = v3 || strings.Contains(exprString(field.Value), ".#apps")
			}
		}
		if catalog == nil || bundles == nil || alias == "" {
			continue
		}
		pkg, ok := catalogPackage(catalog.Value)
		if !ok || !bundlesFor(bundles.Value, pkg, alias) {
			continue
		}
		newCatalog, err := parseField(CatalogField(pkg))
		if err != nil {
			return nil, false, false, err
		}
		newValues, err := parseField(ValuesField(pkg, alias))
		if err != nil {
			return nil, false, false, err
		}
		ast.SetComments(newCatalog, []*ast.CommentGroup{comment(catalogComment)})
		ast.SetComments(newValues, []*ast.CommentGroup{comment(valuesComment)})
		for i, elt := range lit.Elts {
			switch elt {
			case catalog:
				lit.Elts[i] = newCatalog
			case bundles:
				lit.Elts[i] = newValues
			}
		}
		changed, v3 = true, true
	}
	if !changed {
		return src, false, v3, nil
	}
	out, err = format.Node(f)
	return out, err == nil, v3, err
}

// UpgradeBundles rewrites #cluster: schema.#ClusterView in a file of
// package bundles into #cluster: _ (see BundlesCluster). It reports
// whether it changed anything.
func UpgradeBundles(name string, src []byte) ([]byte, bool, error) {
	f, err := parser.ParseFile(name, src, parser.ParseComments)
	if err != nil {
		return nil, false, err
	}
	changed := false
	for _, decl := range f.Decls {
		field, ok := decl.(*ast.Field)
		if !ok {
			continue
		}
		if label, _, _ := ast.LabelName(field.Label); label != "#cluster" {
			continue
		}
		sel, ok := field.Value.(*ast.SelectorExpr)
		if !ok {
			continue
		}
		if x, ok := sel.X.(*ast.Ident); !ok || !isImport(f, x.Name) {
			continue
		}
		if name, _, _ := ast.LabelName(sel.Sel); name != "#ClusterView" {
			continue
		}
		field.Value = ast.NewIdent("_")
		ast.SetComments(field, []*ast.CommentGroup{comment(bundlesClusterComment)})
		changed = true
	}
	if !changed {
		return src, false, nil
	}
	dropUnusedImports(f)
	out, err := format.Node(f)
	return out, err == nil, err
}

// CatalogField is the v3 #catalog of the clusters wiring, reading the
// bundles from the package imported as pkg: what the policy checks read
// of the bundles, not their values.
func CatalogField(pkg string) string {
	return fmt.Sprintf(`#catalog: {for n, b in %s.bundles {
	(n): {required: b.required, requires: b.requires, apps: {for a, _ in b.apps {(a): _}}}
}}`, pkg)
}

// ValuesField is the v3 values of the clusters wiring: each enabled app's
// values from its bundle in the package imported as pkg, evaluated for
// the cluster aliased alias, one app at a time.
func ValuesField(pkg, alias string) string {
	return fmt.Sprintf(`values: {for a, b in %[2]s.#apps {
	(a): (%[1]s & {#cluster: %[2]s.#view}).bundles[b].apps[a].values
}}`, pkg, alias)
}

const (
	catalogComment        = "// What the policy checks read of the bundles, without their values."
	valuesComment         = "// Each enabled app's values from its bundle, evaluated for this cluster\n// one app at a time."
	bundlesClusterComment = `// #cluster is the cluster the values are evaluated for, a
// schema.#ClusterView (name, env, vsphereNamespace, settings), filled per
// cluster by the clusters package with the cluster's #view. It is declared
// _ rather than schema.#ClusterView so that the view is shared by the apps
// of a cluster, not evaluated again for each (#view is closed: a field it
// does not have is still an error).`
)

// clusterStruct is the struct a clusters: [Name=string]: pattern unifies
// with a schema definition, and the alias of the pattern's value.
type clusterStruct struct {
	alias string
	lit   *ast.StructLit
}

// clusterStructs finds, in the top-level clusters fields of f, the
// struct literals of the patterns' values: C=(schema.#Cluster & {...}).
func clusterStructs(f *ast.File) []clusterStruct {
	var out []clusterStruct
	for _, decl := range f.Decls {
		field, ok := decl.(*ast.Field)
		if !ok {
			continue
		}
		if label, _, _ := ast.LabelName(field.Label); label != "clusters" {
			continue
		}
		st, ok := field.Value.(*ast.StructLit)
		if !ok {
			continue
		}
		for _, elt := range st.Elts {
			pattern, ok := elt.(*ast.Field)
			if !ok {
				continue
			}
			if _, ok := pattern.Label.(*ast.ListLit); !ok {
				continue
			}
			alias, x := "", pattern.Value
			if a, ok := x.(*ast.Alias); ok {
				alias, x = a.Ident.Name, a.Expr
			}
			for _, lit := range conjunctStructs(x) {
				out = append(out, clusterStruct{alias: alias, lit: lit})
			}
		}
	}
	return out
}

// conjunctStructs returns the struct literals x unifies: x itself, or the
// operands of its &, through parentheses.
func conjunctStructs(x ast.Expr) []*ast.StructLit {
	switch x := x.(type) {
	case *ast.ParenExpr:
		return conjunctStructs(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.AND {
			return nil
		}
		return append(conjunctStructs(x.X), conjunctStructs(x.Y)...)
	case *ast.StructLit:
		return []*ast.StructLit{x}
	}
	return nil
}

// catalogPackage reports the package name in #catalog: <pkg>.bundles.
func catalogPackage(x ast.Expr) (string, bool) {
	sel, ok := x.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if name, _, _ := ast.LabelName(sel.Sel); !ok || name != "bundles" {
		return "", false
	}
	return pkg.Name, true
}

// bundlesFor reports whether x is (<pkg> & {#cluster: <alias>.#view}).bundles.
func bundlesFor(x ast.Expr, pkg, alias string) bool {
	want := fmt.Sprintf("(%s & {#cluster: %s.#view}).bundles", pkg, alias)
	return exprString(x) == want
}

// exprString is x formatted on one line, for comparing shapes.
func exprString(x ast.Expr) string {
	b, err := format.Node(x)
	if err != nil {
		return ""
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

func parseField(src string) (*ast.Field, error) {
	f, err := parser.ParseFile("wiring", src)
	if err != nil {
		return nil, fmt.Errorf("internal error: the v3 wiring does not parse: %w", err)
	}
	field, ok := f.Decls[0].(*ast.Field)
	if !ok || len(f.Decls) != 1 {
		return nil, fmt.Errorf("internal error: the v3 wiring is not one field")
	}
	ast.SetComments(field, nil)
	return field, nil
}

func comment(text string) *ast.CommentGroup {
	cg := &ast.CommentGroup{Doc: true}
	for _, line := range strings.Split(text, "\n") {
		cg.List = append(cg.List, &ast.Comment{Text: line})
	}
	return cg
}

// isImport reports whether name is the name of an import of f.
func isImport(f *ast.File, name string) bool {
	for spec := range f.ImportSpecs() {
		if importName(spec) == name {
			return true
		}
	}
	return false
}

// importName is the name an import is referred to by.
func importName(spec *ast.ImportSpec) string {
	if spec.Name != nil {
		return spec.Name.Name
	}
	p := strings.Trim(spec.Path.Value, `"`)
	if i := strings.LastIndexAny(p, ":"); i >= 0 {
		return p[i+1:]
	}
	p = p[strings.LastIndex(p, "/")+1:]
	if i := strings.Index(p, "@"); i >= 0 {
		p = p[:i]
	}
	return p
}

// dropUnusedImports removes the imports of f no identifier refers to:
// CUE refuses an import that is not used.
func dropUnusedImports(f *ast.File) {
	used := map[string]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportDecl:
			return false
		case *ast.Ident:
			used[n.Name] = true
		}
		return true
	}, nil)
	for _, decl := range f.Decls {
		imp, ok := decl.(*ast.ImportDecl)
		if !ok {
			continue
		}
		var keep []*ast.ImportSpec
		for _, spec := range imp.Specs {
			if used[importName(spec)] {
				keep = append(keep, spec)
			}
		}
		imp.Specs = keep
	}
	var decls []ast.Decl
	for _, decl := range f.Decls {
		if imp, ok := decl.(*ast.ImportDecl); ok && len(imp.Specs) == 0 {
			continue
		}
		decls = append(decls, decl)
	}
	f.Decls = decls
}
