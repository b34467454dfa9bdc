// Package redact hides secret values in what platformc prints. A secret is
// hidden in every form a printer might give it: as it is, quoted and
// escaped (Go, CUE, JSON, YAML), base64-encoded (at any offset inside a
// longer encoded string), split over lines (a PEM key in a YAML block
// scalar), or cut short (a long value elided in an error message). Each
// run of printed bytes that is part of one of those forms is replaced by
// <redacted NAME>.
//
// How: every form of a secret at least Gram bytes long is cut into all its
// Gram-byte substrings, and any printed run covered by such substrings is
// hidden, so that a fragment of Gram bytes or more never prints; shorter
// forms (a short secret, a short line of a multi-line one) are hidden
// wherever they appear whole. The cost is that a secret's 8-byte fragment
// appearing by chance elsewhere is hidden too: a redactor errs on the side
// of hiding.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"cuelang.org/go/cue/literal"
	"go.yaml.in/yaml/v3"
)

// Gram is the length of the fragments a long form is cut into: a printed
// run of Gram bytes or more of any form of a secret is hidden.
const Gram = 8

// Redactor hides known secret values. It is safe for concurrent use;
// secrets may be added while it is in use (they are known once the
// platform is loaded, after the command has started printing).
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]string // by name
	grams   map[uint64]int32  // Gram-byte fragment → index in marks
	short   []shortForm       // forms shorter than Gram, longest first
	whole   []shortForm       // the forms of each whole secret, for Find
	marks   []string          // what replaces each value
}

type shortForm struct {
	form string
	name int32
}

// New makes a redactor for secrets, by name.
func New(secrets map[string]string) *Redactor {
	r := &Redactor{}
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		r.Add(name, secrets[name])
	}
	return r
}

// Add makes r hide value, naming it name. An empty value hides nothing.
func (r *Redactor) Add(name, value string) {
	if value == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.secrets[name]; ok && old == value {
		return
	}
	if r.secrets == nil {
		r.secrets = map[string]string{}
	}
	r.secrets[name] = value
	idx := r.add("<redacted "+name+">", value)
	if len(value) >= minFind {
		for _, f := range wholeForms(value) {
			r.whole = append(r.whole, shortForm{form: f, name: idx})
		}
	}
}

// AddPlaceholder makes r show value, the placeholder an unset variable
// name was evaluated with, as <NAME not set> wherever it appears whole.
func (r *Redactor) AddPlaceholder(name, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	idx := int32(len(r.marks))
	r.marks = append(r.marks, "<"+name+" not set>")
	for _, f := range wholeForms(value) {
		r.short = append(r.short, shortForm{form: f, name: idx})
	}
	slices.SortStableFunc(r.short, func(a, b shortForm) int { return len(b.form) - len(a.form) })
}

// minFind is the shortest secret Find looks for: a shorter one is found by
// chance in any manifest.
const minFind = 6

// add registers the forms of value, replaced by mark, and returns the
// mark's index.
func (r *Redactor) add(mark, value string) int32 {
	if r.grams == nil {
		r.grams = map[uint64]int32{}
	}
	idx := int32(len(r.marks))
	r.marks = append(r.marks, mark)
	for _, f := range Forms(value) {
		if len(f) >= Gram {
			for i := 0; i+Gram <= len(f); i++ {
				k := binary.LittleEndian.Uint64([]byte(f[i : i+Gram]))
				if _, ok := r.grams[k]; !ok {
					r.grams[k] = idx
				}
			}
			continue
		}
		if meaningful(f) {
			r.short = append(r.short, shortForm{form: f, name: idx})
		}
	}
	slices.SortStableFunc(r.short, func(a, b shortForm) int { return len(b.form) - len(a.form) })
	return idx
}

// Find returns the name of a secret of r that b holds whole, in one of its
// quoted or encoded forms: for the outputs a secret must never reach.
func (r *Redactor) Find(b []byte) (string, bool) {
	if r == nil {
		return "", false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, w := range r.whole {
		if bytes.Contains(b, []byte(w.form)) {
			return markName(r.marks[w.name]), true
		}
	}
	return "", false
}

// Secrets returns the values r hides, by name.
func (r *Redactor) Secrets() map[string]string {
	if r == nil {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return maps.Clone(r.secrets)
}

// Empty reports whether r hides nothing.
func (r *Redactor) Empty() bool {
	if r == nil {
		return true
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.marks) == 0
}

// meaningful reports whether a short form says anything about its secret:
// a line "}" or "-----" of a multi-line value does not, and hiding every
// brace of the output would make it unreadable.
func meaningful(f string) bool {
	return strings.IndexFunc(f, func(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }) >= 0
}

// Forms returns the forms in which v may be printed: v itself and each of
// its lines; its escaped forms inside Go, CUE, JSON and YAML quotes, and
// their lines; and its base64 encodings at each offset of a longer encoded
// string.
func Forms(v string) []string {
	set := map[string]bool{}
	for _, s := range wholeForms(v) {
		set[s] = true
		if strings.Contains(s, "\n") {
			for line := range strings.SplitSeq(s, "\n") {
				if line = strings.TrimSpace(line); line != "" {
					set[line] = true
				}
			}
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for _, f := range base64Forms(enc, []byte(v)) {
			set[f] = true
		}
	}
	delete(set, "")
	return slices.Sorted(maps.Keys(set))
}

// wholeForms are v and its escaped and encoded forms, each whole.
func wholeForms(v string) []string {
	set := map[string]bool{}
	// Space around a form says nothing of the secret; hiding it would
	// join lines.
	add := func(s string) { set[strings.TrimSpace(s)] = true }
	add(v)
	add(unquote(strconv.Quote(v)))
	add(unquote(strconv.QuoteToASCII(v)))
	add(unquote(literal.String.Quote(v)))
	add(unquote(literal.String.WithOptionalTabIndent(1).Quote(v)))
	for _, escapeHTML := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(v) == nil {
			add(unquote(strings.TrimSuffix(b.String(), "\n")))
		}
	}
	add(strings.ReplaceAll(v, "'", "''")) // YAML single quotes
	for _, style := range []yaml.Style{0, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle} {
		node := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: style}
		if out, err := yaml.Marshal(node); err == nil {
			add(yamlScalar(string(out)))
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		add(enc.EncodeToString([]byte(v)))
	}
	delete(set, "")
	return slices.Sorted(maps.Keys(set))
}

// unquote strips the quotes a quoting function put around its result.
func unquote(q string) string {
	if len(q) >= 2 && (q[0] == '"' || q[0] == '\'') && q[len(q)-1] == q[0] {
		return q[1 : len(q)-1]
	}
	return q
}

// yamlScalar strips what a YAML encoder adds around a scalar: the quotes,
// the block indicator line, the indentation of continuation lines.
func yamlScalar(out string) string {
	out = strings.TrimSuffix(out, "\n")
	if strings.HasPrefix(out, "|") || strings.HasPrefix(out, ">") {
		_, out, _ = strings.Cut(out, "\n")
	}
	return unquote(strings.TrimSpace(out))
}

// base64Forms returns the part of the base64 encoding of v that does not
// depend on what surrounds v, for v starting at each of the three offsets
// an encoder's 3-byte groups allow, with and without padding.
func base64Forms(enc *base64.Encoding, v []byte) []string {
	var out []string
	for off := range 3 {
		buf := append(make([]byte, off), v...)
		s := enc.EncodeToString(buf)
		if off == 0 {
			out = append(out, s, strings.TrimRight(s, "="))
		}
		// The first characters mix in the bytes before v; the last
		// group, the bytes after it.
		skip := (off*8 + 5) / 6
		end := (len(buf) / 3) * 4
		// A core of a few characters says nothing of v, and would be
		// found by chance.
		if end-skip >= 4 {
			out = append(out, s[skip:end])
		}
	}
	return out
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r.Empty() {
		return s
	}
	return string(r.Bytes([]byte(s)))
}

// Bytes returns b with every run covered by a form of a secret replaced
// by <redacted NAME>. b itself is not changed.
func (r *Redactor) Bytes(b []byte) []byte {
	if r.Empty() {
		return b
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	// covered[i] is 1 + the index of the secret covering byte i, or 0.
	var covered []int32
	mark := func(from, to int, name int32) {
		if covered == nil {
			covered = make([]int32, len(b))
		}
		for i := from; i < to; i++ {
			if covered[i] == 0 {
				covered[i] = name + 1
			}
		}
	}
	for i := 0; i+Gram <= len(b); i++ {
		if name, ok := r.grams[binary.LittleEndian.Uint64(b[i:])]; ok {
			mark(i, i+Gram, name)
		}
	}
	for _, s := range r.short {
		form := []byte(s.form)
		for from := 0; ; {
			j := bytes.Index(b[from:], form)
			if j < 0 {
				break
			}
			mark(from+j, from+j+len(form), s.name)
			from += j + len(form)
		}
	}
	if covered == nil {
		return b
	}
	// Line breaks and the indentation after them stay: a multi-line
	// secret is hidden line by line, and the document keeps its shape.
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		covered[i] = 0
		for i+1 < len(b) && (b[i+1] == ' ' || b[i+1] == '\t') {
			i++
			covered[i] = 0
		}
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if covered[i] == 0 {
			out = append(out, b[i])
			i++
			continue
		}
		mark := r.marks[covered[i]-1]
		for i < len(b) && covered[i] != 0 {
			i++
		}
		out = append(out, mark...)
	}
	return out
}
