package redact

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Shapes hides the earlier values of secrets in YAML documents: what a
// diff shows of a file as it was, which may hold a value rotated since
// (the redactor knows only the current one), in another quoting, or a file
// being removed. It learns from the current documents where secrets sit
// (the key paths of the scalars holding one), per group of documents of
// the same shape (the values files of one app), and hides whatever sits
// at those paths in any document of the group.
type Shapes struct {
	r     *Redactor
	paths map[string]map[string]string // group → key path → secret name
}

// Shapes returns an empty Shapes that learns with r.
func (r *Redactor) Shapes() *Shapes {
	return &Shapes{r: r, paths: map[string]map[string]string{}}
}

// Learn records where doc, a current document of group, holds secrets.
func (s *Shapes) Learn(group string, doc []byte) {
	if s.r.Empty() || bytes.Equal(s.r.Bytes(doc), doc) {
		return
	}
	var root yaml.Node
	if yaml.Unmarshal(doc, &root) != nil {
		return
	}
	walk(&root, "", func(path string, n *yaml.Node) {
		if n.Kind != yaml.ScalarNode {
			return
		}
		red := s.r.String(n.Value)
		if red == n.Value {
			return
		}
		if s.paths[group] == nil {
			s.paths[group] = map[string]string{}
		}
		s.paths[group][path] = markName(red)
	})
}

// Hide returns doc, a document of group, with the scalars at the paths
// learnt for the group replaced by <redacted NAME>, then redacted as by
// Bytes. A document that cannot be read as YAML, in a group known to hold
// secrets, is hidden whole.
func (s *Shapes) Hide(group string, doc []byte) []byte {
	paths := s.paths[group]
	if len(paths) == 0 {
		return s.r.Bytes(doc)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return fmt.Appendf(nil, "<redacted: a file of %s, which holds secrets, that is not YAML>\n", group)
	}
	// Each node's start, in document order, to find where a scalar ends:
	// at the line of the next node below it.
	type span struct {
		line, col int
		name      string // set for a scalar to hide
	}
	var spans []span
	walk(&root, "", func(path string, n *yaml.Node) {
		sp := span{line: n.Line, col: n.Column}
		if name, ok := paths[path]; ok && n.Kind == yaml.ScalarNode {
			sp.name = name
		}
		spans = append(spans, sp)
	})
	lines := bytes.SplitAfter(doc, []byte("\n"))
	offset := func(line, col int) int {
		off := 0
		for i := 0; i < line-1 && i < len(lines); i++ {
			off += len(lines[i])
		}
		return min(off+col-1, len(doc))
	}
	type cut struct {
		from, to int
		name     string
	}
	var cuts []cut
	for i, sp := range spans {
		if sp.name == "" {
			continue
		}
		end := len(doc)
		for _, next := range spans[i+1:] {
			if next.line > sp.line {
				end = offset(next.line, 1)
				break
			}
		}
		from := offset(sp.line, sp.col)
		if end < from {
			continue
		}
		cuts = append(cuts, cut{from, end, sp.name})
	}
	var out []byte
	last := 0
	for _, c := range cuts {
		if c.from < last {
			continue
		}
		out = append(out, doc[last:c.from]...)
		out = append(out, "<redacted "+c.name+">\n"...)
		last = c.to
	}
	out = append(out, doc[last:]...)
	return s.r.Bytes(out)
}

// Groups returns the groups known to hold secrets, sorted.
func (s *Shapes) Groups() []string { return slices.Sorted(maps.Keys(s.paths)) }

// walk calls f on every node below n (n included) in document order, with
// its key path.
func walk(n *yaml.Node, path string, f func(path string, n *yaml.Node)) {
	f(path, n)
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			walk(c, path, f)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			f(path, k)
			walk(n.Content[i+1], path+"\x00"+k.Value, f)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walk(c, fmt.Sprintf("%s\x00[%d]", path, i), f)
		}
	}
}

// markName is the name in the first <redacted NAME> of s.
func markName(s string) string {
	_, rest, ok := strings.Cut(s, "<redacted ")
	if !ok {
		return "secret"
	}
	name, _, _ := strings.Cut(rest, ">")
	return name
}
