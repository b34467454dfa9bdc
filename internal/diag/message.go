package diag

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// schemaBounds says, for the regular expressions of schema/names.cue, what
// a value failing them should have been: CUE's own message only quotes the
// expression. A platform whose schema spells a bound differently gets
// CUE's message.
var schemaBounds = map[string]string{
	// #Name
	`=~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"`: `not a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters): names become paths and Kubernetes names`,
	// #LabelValue
	`=~"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"`: `not a Kubernetes label value (empty, or at most 63 characters of [A-Za-z0-9_.-] starting and ending with a letter or digit)`,
	// #Version
	`=~"^v?(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$"`: `not a semantic version such as 1.2.3 or v1.2.3-rc.1`,
	// #GitRef
	`=~"^[A-Za-z0-9][-A-Za-z0-9_./]*$"`: `not a git branch, tag or commit name (letters, digits and "-_./", starting with a letter or digit)`,
	`!~"\\.\\."`:                        `not a git branch, tag or commit name (".." is not allowed)`,
	// #Host
	`=~"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*(:[0-9]{1,5})?(/[-a-z0-9._/]+)?$"`: `not a host name with an optional port and path, such as registry.corp.local:5000/mirror`,
	// #RepoURL
	`=~"^(https://|ssh://|git@)[^\\s]+$"`: `not a git repository URL (https://, ssh:// or git@host:path, without spaces)`,
	// #Cluster.server
	`=~"^https://[^\\s]+$"`: `not an https:// URL without spaces`,
}

var maxRunes = regexp.MustCompile(`^strings\.MaxRunes\(([0-9]+)\)$`)

// message formats e's message, and those it wraps, with file names
// relative to root. CUE's generic wording of a failed schema bound is
// replaced by what the bound means.
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
		b.WriteString(reword(format, relativeArgs(args, root)))
	}
	return b.String()
}

// reword formats one message, in plainer words where the message is a
// failed bound whose meaning is known.
func reword(format string, args []any) string {
	if len(args) == 2 {
		value, bound := fmt.Sprint(args[0]), fmt.Sprint(args[1])
		switch format {
		case "invalid value %v (out of bound %s)", "invalid value %s (out of bound %s)":
			if meaning, ok := schemaBounds[bound]; ok {
				return fmt.Sprintf("invalid value %s: %s", value, meaning)
			}
		case "invalid value %s (does not satisfy %s)":
			if m := maxRunes.FindStringSubmatch(bound); m != nil {
				if s, err := strconv.Unquote(value); err == nil {
					return fmt.Sprintf("invalid value %s: %d characters long, at most %s allowed", value, utf8.RuneCountInString(s), m[1])
				}
			}
		}
	}
	return fmt.Sprintf(format, args...)
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
