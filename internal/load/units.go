package load

import (
	"path/filepath"
	"slices"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/token"
)

// Units splits d into directories of one declared cluster each, to be
// evaluated one at a time: CUE keeps every value of an instance while its
// context lives, so a file declaring thousands of clusters, evaluated
// whole, holds all of them at once (600 clusters in one file took 2.2 GB
// and eight times as long as in their own directories). Each unit has the
// directory's files with the clusters field narrowed to its own cluster
// and the patterns ([_]: ...) that set defaults; everything else of the
// files is kept. A directory whose clusters might refer to one another
// (the identifier clusters, or an alias on a cluster's label, inside its
// files) is not split: each unit would miss what the others declare.
func (d *ClusterDir) Units() []*ClusterDir {
	if len(d.Declared) <= 1 || crossReferences(d.Instance) {
		return []*ClusterDir{d}
	}
	parts := make([]filePart, len(d.Instance.Files))
	for i, f := range d.Instance.Files {
		parts[i] = splitFile(f, filepath.Dir(f.Filename) == d.Instance.Dir)
	}
	units := make([]*ClusterDir, len(d.Declared))
	for i, decl := range d.Declared {
		inst := *d.Instance
		inst.Files = make([]*ast.File, len(parts))
		for j, p := range parts {
			inst.Files[j] = p.with(decl.Name)
		}
		units[i] = &ClusterDir{Instance: &inst, Declared: []Declared{decl}, Only: d.Only, Shared: d.Shared}
	}
	return units
}

// filePart is a file split into what every unit has (its declarations
// but the clusters, and the patterns of its clusters fields) and the
// declarations of each cluster.
type filePart struct {
	file     *ast.File
	base     []ast.Decl
	clusters map[string][]ast.Decl
}

// splitFile splits f. A file of a parent directory keeps no cluster: they
// are evaluated in their own directory.
func splitFile(f *ast.File, own bool) filePart {
	p := filePart{file: f, clusters: map[string][]ast.Decl{}}
	for _, decl := range f.Decls {
		field, _ := decl.(*ast.Field)
		st, ok := structOf(field)
		if !ok || !isClustersField(field) {
			p.base = append(p.base, decl)
			continue
		}
		var rest []ast.Decl
		for _, elt := range st.Elts {
			cf, ok := elt.(*ast.Field)
			if !ok {
				rest = append(rest, elt)
				continue
			}
			label, _, err := ast.LabelName(cf.Label)
			if err != nil {
				rest = append(rest, elt) // a pattern: defaults for every cluster
				continue
			}
			if own {
				p.clusters[label] = append(p.clusters[label], elt)
			}
		}
		if len(rest) > 0 {
			narrowed, lit := *field, *st
			lit.Elts = rest
			narrowed.Value = &lit
			p.base = append(p.base, &narrowed)
		}
	}
	return p
}

// with is the file as the unit of cluster name sees it.
func (p filePart) with(name string) *ast.File {
	nf := *p.file
	nf.Decls = p.base
	if elts := p.clusters[name]; len(elts) > 0 {
		nf.Decls = append(slices.Clip(p.base), &ast.Field{Label: ast.NewIdent("clusters"), Value: &ast.StructLit{Elts: elts}})
	}
	return &nf
}

func structOf(field *ast.Field) (*ast.StructLit, bool) {
	if field == nil {
		return nil, false
	}
	st, ok := field.Value.(*ast.StructLit)
	return st, ok
}

func isClustersField(field *ast.Field) bool {
	name, _, err := ast.LabelName(field.Label)
	return err == nil && name == "clusters"
}

// crossReferences reports whether a file of inst could make one cluster
// read another: the identifier clusters used anywhere but as the label of
// the top-level field, or an alias on a cluster's label.
func crossReferences(inst *build.Instance) bool {
	found := false
	for _, f := range inst.Files {
		for _, decl := range f.Decls {
			if _, ok := decl.(*ast.Package); ok {
				continue // package clusters names no value
			}
			field, ok := decl.(*ast.Field)
			if ok && isClustersField(field) {
				if st, ok := structOf(field); ok {
					for _, elt := range st.Elts {
						if cf, ok := elt.(*ast.Field); ok {
							if _, aliased := cf.Label.(*ast.Alias); aliased {
								return true
							}
						}
					}
				}
				ast.Walk(field.Value, func(n ast.Node) bool {
					found = found || isClustersIdent(n)
					return !found
				}, nil)
				continue
			}
			ast.Walk(decl, func(n ast.Node) bool {
				found = found || isClustersIdent(n)
				return !found
			}, nil)
		}
		if found {
			return true
		}
	}
	return false
}

func isClustersIdent(n ast.Node) bool {
	id, ok := n.(*ast.Ident)
	return ok && id.Name == "clusters"
}

// ReadsValues reports whether a file of d, but wiring (the file name of
// platformc's wiring), could make one app's values read another's (see
// ReadsValues). Such a directory is evaluated whole when a bundle
// changes, not only for that bundle's apps.
func (d *ClusterDir) ReadsValues(wiring string) bool {
	for _, f := range d.Instance.Files {
		if f.Filename != wiring && ReadsValues(f) {
			return true
		}
	}
	return false
}

// ReadsValues reports whether f refers to a field named values (labels
// aside), or has an alias, through which any field could be reached.
func ReadsValues(f *ast.File) bool {
	refs, aliased := ValuesReferences(f)
	return len(refs) > 0 || aliased
}

// ValuesReferences returns where f refers to a field named values (labels
// aside), and whether it has an alias.
func ValuesReferences(f *ast.File) (refs []token.Pos, aliased bool) {
	labels := map[ast.Node]bool{}
	ast.Walk(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			labels[x.Label] = true
		case *ast.Alias:
			aliased = true
		case *ast.Ident:
			if x.Name == "values" && !labels[x] {
				refs = append(refs, x.Pos())
			}
		}
		return true
	}, nil)
	return refs, aliased
}

// SetsValues returns the apps whose values the files of d (the wiring
// aside) may set: a field values: whose value is a struct literal sets the
// apps its literal labels name. all says that they may set any app's: a
// values field of another kind, a label that is not literal, or a file
// that imports a package (whose fields it could embed).
func (d *ClusterDir) SetsValues(wiring string) (apps map[string]bool, all bool) {
	apps = map[string]bool{}
	for _, f := range d.Instance.Files {
		if f.Filename == wiring {
			continue
		}
		for range f.ImportSpecs() {
			return nil, true
		}
		ast.Walk(f, func(n ast.Node) bool {
			field, ok := n.(*ast.Field)
			if !ok || all {
				return !all
			}
			if name, _, err := ast.LabelName(field.Label); err != nil || name != "values" {
				return true
			}
			st, ok := field.Value.(*ast.StructLit)
			if !ok {
				all = true
				return false
			}
			for _, elt := range st.Elts {
				af, ok := elt.(*ast.Field)
				if !ok {
					all = true
					return false
				}
				name, _, err := ast.LabelName(af.Label)
				if err != nil {
					all = true
					return false
				}
				apps[name] = true
			}
			return true
		}, nil)
		if all {
			return nil, true
		}
	}
	return apps, false
}

// MentionsValues reports whether f refers to or declares a field named
// values, or has an alias.
func MentionsValues(f *ast.File) bool {
	if ReadsValues(f) {
		return true
	}
	found := false
	ast.Walk(f, func(n ast.Node) bool {
		if field, ok := n.(*ast.Field); ok {
			if name, _, err := ast.LabelName(field.Label); err == nil && name == "values" {
				found = true
			}
		}
		return !found
	}, nil)
	return found
}
