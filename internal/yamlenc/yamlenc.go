// Package yamlenc writes data as the YAML of every file platformc
// generates: keys sorted (yaml.v3 sorts map keys), two-space indentation,
// sequences indented under their key, and every key and string quoted that
// a YAML 1.1 reader (Helm's) or a YAML 1.2 one would read as something
// else. The bytes depend on the data alone. It imports no CUE, so that its
// fuzz target builds quickly.
package yamlenc

import (
	"io"

	"go.yaml.in/yaml/v3"
)

// Encode writes v (maps, slices and scalars, or anything yaml.v3 encodes)
// to w as one YAML document.
func Encode(w io.Writer, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if holdsMergeKey(v) {
		// yaml.v3 writes the string "<<" plain, which every reader, Helm's
		// YAML 1.1 one and yaml.v3 itself, takes for a merge key: it is
		// written quoted. (yaml.v3 quotes the other strings a YAML 1.1
		// reader would take for something else, yes, on, 1e3, ~ and the
		// like; FuzzYAMLReadsBack checks it with both readers.)
		var n yaml.Node
		if err := n.Encode(v); err != nil {
			return err
		}
		quoteMergeKeys(&n)
		v = &n
	}
	if err := enc.Encode(v); err != nil {
		return err
	}
	return enc.Close()
}

const mergeKey = "<<"

// holdsMergeKey reports whether v (maps, slices and scalars) holds the
// string "<<", as a key or a value.
func holdsMergeKey(v any) bool {
	switch x := v.(type) {
	case string:
		return x == mergeKey
	case map[string]any:
		for k, e := range x {
			if k == mergeKey || holdsMergeKey(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsMergeKey(e) {
				return true
			}
		}
	}
	return false
}

func quoteMergeKeys(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Value == mergeKey {
		n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
	}
	for _, c := range n.Content {
		quoteMergeKeys(c)
	}
}
