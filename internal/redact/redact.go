// Package redact hides secret values in what platformc prints: error
// messages, diffs, listings. A secret is replaced wherever it appears as
// it is or base64-encoded (the form Kubernetes Secrets and many charts
// take), by <redacted NAME>.
package redact

import (
	"bytes"
	"encoding/base64"
	"maps"
	"slices"
	"strings"
)

// minLen is the shortest value redacted: replacing every "1" or "on" in a
// diff would hide more than it protects, and such a value is no secret.
const minLen = 4

// Redactor replaces known secret values.
type Redactor struct {
	pairs []string // old, new, … for strings.NewReplacer
}

// New makes a redactor for secrets, by name.
func New(secrets map[string]string) *Redactor {
	r := &Redactor{}
	type rep struct{ old, new string }
	var reps []rep
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		v := secrets[name]
		if len(v) < minLen {
			continue
		}
		mark := "<redacted " + name + ">"
		for _, form := range []string{v, base64.StdEncoding.EncodeToString([]byte(v)), base64.RawStdEncoding.EncodeToString([]byte(v))} {
			reps = append(reps, rep{form, mark})
		}
	}
	// Longer first, so that a value is not half-replaced by a shorter one
	// it contains.
	slices.SortStableFunc(reps, func(a, b rep) int { return len(b.old) - len(a.old) })
	for _, p := range reps {
		r.pairs = append(r.pairs, p.old, p.new)
	}
	return r
}

// String redacts s.
func (r *Redactor) String(s string) string {
	if r == nil || len(r.pairs) == 0 {
		return s
	}
	return strings.NewReplacer(r.pairs...).Replace(s)
}

// Bytes redacts b.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil || len(r.pairs) == 0 {
		return b
	}
	var out bytes.Buffer
	_, _ = strings.NewReplacer(r.pairs...).WriteString(&out, string(b))
	return out.Bytes()
}

// Pair redacts the old and new content of one file for a diff. The new
// content holds the current secrets; the old one may hold earlier values
// of them, which the redactor cannot know. So each line of the new content
// that holds a secret gives its prefix (say "    adminPassword: "), and a
// line of the old content with the same prefix loses what follows it.
func (r *Redactor) Pair(old, new []byte) ([]byte, []byte) {
	if r == nil || len(r.pairs) == 0 {
		return old, new
	}
	redacted := r.Bytes(new)
	newLines := strings.SplitAfter(string(new), "\n")
	redLines := strings.SplitAfter(string(redacted), "\n")
	prefixes := map[string]string{} // line prefix → its redacted rest
	if len(newLines) == len(redLines) {
		for i, line := range newLines {
			if line == redLines[i] {
				continue
			}
			// The common prefix of the line and its redacted form ends
			// where the secret starts.
			n := 0
			for n < len(line) && n < len(redLines[i]) && line[n] == redLines[i][n] {
				n++
			}
			if n > 0 {
				prefixes[line[:n]] = redLines[i][n:]
			}
		}
	}
	oldLines := strings.SplitAfter(string(r.Bytes(old)), "\n")
	for i, line := range oldLines {
		for prefix, rest := range prefixes {
			if strings.HasPrefix(line, prefix) && !strings.Contains(line, "<redacted ") {
				oldLines[i] = prefix + rest
			}
		}
	}
	return []byte(strings.Join(oldLines, "")), redacted
}
