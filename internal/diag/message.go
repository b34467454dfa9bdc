package diag

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// message formats e's message, and those it wraps, with file names
// relative to root.
func message(e cueerrors.Error, root string) string {
	var b strings.Builder
	for err := error(e); err != nil; err = errors.Unwrap(err) {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		ce, ok := err.(cueerrors.Error)
		if !ok {
			b.WriteString(err.Error())
			break
		}
		format, args := ce.Msg()
		b.WriteString(fmt.Sprintf(format, relativeArgs(args, root)...))
	}
	return b.String()
}

// relativeArgs makes the file names of position arguments relative to
// root, as the report's positions are.
func relativeArgs(args []any, root string) []any {
	out := args
	for i, a := range args {
		var pos token.Position
		switch a := a.(type) {
		case token.Pos:
			pos = a.Position()
		case token.Position:
			pos = a
		default:
			continue
		}
		if &out[0] == &args[0] {
			out = slices.Clone(args)
		}
		pos.Filename = relative(root, pos.Filename)
		out[i] = pos
	}
	return out
}

// Limits on what one message shows: a value written by mistake as a
// megabyte string, or a path a thousand fields deep, is named, not echoed.
const (
	maxQuoted  = 80   // runes of a quoted string
	maxMessage = 1000 // runes of a message
	pathHead   = 6    // path elements shown before an elision
	pathTail   = 3    // and after it
)

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// shorten elides the middle of long quoted strings, then cuts the message
// if it is still too long.
func shorten(msg string) string {
	msg = quoted.ReplaceAllStringFunc(msg, func(q string) string {
		n := utf8.RuneCountInString(q) - 2
		if n <= maxQuoted {
			return q
		}
		r := []rune(q[1 : len(q)-1])
		return fmt.Sprintf(`"%s…%s" (%d characters)`, string(r[:maxQuoted/2]), string(r[len(r)-maxQuoted/4:]), n)
	})
	if r := []rune(msg); len(r) > maxMessage {
		msg = fmt.Sprintf("%s… (%d more characters)", string(r[:maxMessage]), len(r)-maxMessage)
	}
	return msg
}

// shortPath joins a CUE path, eliding the middle of a very deep one.
func shortPath(path []string) string {
	if len(path) <= pathHead+pathTail+1 {
		return shorten(strings.Join(path, "."))
	}
	head := strings.Join(path[:pathHead], ".")
	tail := strings.Join(path[len(path)-pathTail:], ".")
	return shorten(fmt.Sprintf("%s.….%s (%d fields deep)", head, tail, len(path)))
}
