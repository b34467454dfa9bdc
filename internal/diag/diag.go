// Package diag turns CUE errors into the report a user reads: every error
// at once, each as file:line:col: message with paths relative to the module
// root, sorted and de-duplicated.
package diag

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Entry is one reported error.
type Entry struct {
	// Pos is the position the error is reported at: the user's own file
	// where one is known, rather than the schema.
	Pos token.Position
	Msg string
	// Related are the other positions CUE gives, e.g. the schema
	// constraint a value conflicts with.
	Related []token.Position
}

// String formats the entry's first line: file:line:col: message.
func (e Entry) String() string {
	if e.Pos.Filename == "" {
		return e.Msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.Pos.Filename, e.Pos.Line, e.Pos.Column, e.Msg)
}

// Entries converts err (a cue/errors list or any error) into sorted,
// de-duplicated entries with file names relative to root.
func Entries(err error, root string) []Entry {
	if err == nil {
		return nil
	}
	var out []Entry
	seen := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		entry := toEntry(e, root)
		key := entry.String() + "\x00" + fmt.Sprint(entry.Related)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, entry)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(
			cmp.Compare(a.Pos.Filename, b.Pos.Filename),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return out
}

// Print writes every entry of err to w, one per line, related positions
// indented below it.
func Print(w io.Writer, err error, root string) {
	for _, e := range Entries(err, root) {
		fmt.Fprintln(w, e.String())
		for _, r := range e.Related {
			fmt.Fprintf(w, "    %s:%d:%d\n", r.Filename, r.Line, r.Column)
		}
	}
}

// Count is the number of distinct errors in err.
func Count(err error, root string) int { return len(Entries(err, root)) }

func toEntry(e cueerrors.Error, root string) Entry {
	msg := shorten(message(e, root))
	// A message is prefixed with the CUE path of the value it is about;
	// one that names what it is about itself has none.
	if path := e.Path(); len(path) > 0 {
		msg = shortPath(path) + ": " + msg
	}
	var positions []token.Position
	for _, p := range cueerrors.Positions(e) {
		pos := p.Position()
		if pos.Filename == "" {
			continue
		}
		pos.Filename = relative(root, pos.Filename)
		if !slices.Contains(positions, pos) {
			positions = append(positions, pos)
		}
	}
	entry := Entry{Msg: msg}
	if len(positions) == 0 {
		return entry
	}
	best := 0
	for i, p := range positions {
		r, b := rank(p.Filename), rank(positions[best].Filename)
		if r < b || (r == b && strings.Count(p.Filename, "/") > strings.Count(positions[best].Filename, "/")) {
			best = i
		}
	}
	entry.Pos = positions[best]
	for i, p := range positions {
		if i != best {
			entry.Related = append(entry.Related, p)
		}
	}
	return entry
}

// rank orders the files an error can be reported at: the user's cluster
// files first, then bundles and defaults, then the shared clusters file,
// the schema last. Within a rank the deepest file, the most specific, wins.
func rank(file string) int {
	switch {
	case file == "clusters/clusters.cue":
		return 2
	case strings.HasPrefix(file, "clusters/"):
		return 0
	case strings.HasPrefix(file, "schema/"):
		return 3
	default:
		return 1
	}
}

func relative(root, file string) string {
	if root == "" || !filepath.IsAbs(file) {
		return filepath.ToSlash(file)
	}
	if r, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(file)
}
