package load

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Env looks up an environment variable (os.LookupEnv).
type Env func(name string) (string, bool)

// Secrets are the values of the @tag(NAME) fields of a platform: NAME is
// an environment variable, read when the platform is loaded.
type Secrets struct {
	// Values are the variables that are set, by name: what every printed
	// byte is redacted of.
	Values map[string]string
	// Unset are the variables that are not set and that some field without
	// a default reads, each once, sorted by name. They are evaluated with
	// a placeholder (LoadOptions.Placeholders), which is no secret.
	Unset []Unset
}

// Unset is a variable that is not set, and the fields that read it.
type Unset struct {
	Name string
	// Reader names what first reads it: app "x" of bundle "y", cluster "z".
	Reader string
	// Fields are the spans of the fields that read it: an error there is
	// about the placeholder, not the platform.
	Fields []Span
}

// Span is a range of a source file.
type Span struct{ Start, End token.Pos }

// Contains reports whether p lies inside s.
func (s Span) Contains(p token.Pos) bool {
	return p.IsValid() && s.Start.IsValid() && p.Filename() == s.Start.Filename() &&
		p.Offset() >= s.Start.Offset() && p.Offset() <= s.End.Offset()
}

// tagUse is one field that reads a secret: field: string @tag(NAME).
type tagUse struct {
	name       string
	kind       string // the tag's type: string (the default), int, number, bool
	hasDefault bool
	attr       *ast.Attribute
	field      *ast.Field
	path       []string // the labels leading to the field
}

// secretsOf finds every @tag(NAME) of the loaded files, wherever CUE allows
// one (inside a conjunction such as schema.#Platform & {...} too), and
// looks NAME up in the environment. A variable that is set is injected
// (it returns the tags to give cue/load, NAME=value). One that is not set
// leaves a field with a default to its default; a field without one is an
// error at the field, naming the variable and what needs it, unless
// placeholders are allowed (see withPlaceholders).
func secretsOf(insts []*build.Instance, env Env, placeholders bool) (*Secrets, []string, error) {
	s := &Secrets{Values: map[string]string{}}
	unset := map[string]*Unset{}
	var errs cueerrors.Error
	for _, u := range allTagUses(insts) {
		if v, ok := env(u.name); ok {
			s.Values[u.name] = v
			continue
		}
		if u.hasDefault {
			continue
		}
		if !placeholders {
			errs = cueerrors.Append(errs, cueerrors.Newf(u.attr.Pos(),
				"environment variable %s is not set; %s reads it (@tag(%s)): set it in the environment platformc runs in",
				u.name, reader(u.path), u.name))
			continue
		}
		if unset[u.name] == nil {
			unset[u.name] = &Unset{Name: u.name, Reader: reader(u.path)}
		}
	}
	if errs != nil {
		return nil, nil, errs
	}
	for _, un := range unset {
		s.Unset = append(s.Unset, *un)
	}
	slices.SortFunc(s.Unset, func(a, b Unset) int { return strings.Compare(a.Name, b.Name) })
	var tags []string
	for _, name := range slices.Sorted(maps.Keys(s.Values)) {
		tags = append(tags, name+"="+s.Values[name])
	}
	return s, tags, nil
}

// allTagUses are the tag uses of the instances' files, each file once.
func allTagUses(insts []*build.Instance) []tagUse {
	seen := map[*ast.File]bool{}
	var uses []tagUse
	for _, inst := range insts {
		for _, f := range inst.Files {
			if !seen[f] {
				seen[f] = true
				uses = append(uses, tagUses(f)...)
			}
		}
	}
	return uses
}

// withPlaceholders gives each field that reads an unset variable, and has
// no default, a placeholder of the tag's type as its whole value, in the
// parsed files: the field's own constraints cannot be checked without the
// value, and the placeholder is no secret. Where a constraint elsewhere
// refuses the placeholder, the error is at the field (its span is in
// s.Unset) and is reported as a note.
func withPlaceholders(insts []*build.Instance, s *Secrets) {
	idx := map[string]int{}
	for i, u := range s.Unset {
		idx[u.Name] = i
	}
	for _, u := range allTagUses(insts) {
		i, ok := idx[u.name]
		if !ok || u.hasDefault {
			continue
		}
		pos := u.field.Value.Pos()
		var lit *ast.BasicLit
		switch u.kind {
		case "int", "number":
			lit = &ast.BasicLit{Kind: token.INT, Value: "0"}
		case "bool":
			lit = &ast.BasicLit{Kind: token.FALSE, Value: "false"}
		default:
			lit = ast.NewString(Placeholder(u.name))
		}
		lit.ValuePos = pos
		u.field.Value = lit
		s.Unset[i].Fields = append(s.Unset[i].Fields, Span{u.field.Pos(), u.field.End()})
	}
}

// Placeholder is the string an unset variable name is evaluated with:
// letters and digits, different for each variable, and no secret.
func Placeholder(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "u" + hex.EncodeToString(sum[:16]) + "x"
}

// tagUses finds the fields of f with a @tag attribute, as cue/load does
// (which refuses them inside lists, comprehensions and pattern
// constraints, so they are not looked for there).
func tagUses(f *ast.File) []tagUse {
	var uses []tagUse
	var path []string
	ast.Walk(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.ListLit, *ast.Comprehension:
			return false
		case *ast.Field:
			label, _, err := ast.LabelName(x.Label)
			if err != nil || x.Constraint != token.ILLEGAL {
				return false
			}
			path = append(path, label)
			for _, a := range x.Attrs {
				key, body := a.Split()
				if key != "tag" {
					continue
				}
				name, rest, _ := strings.Cut(body, ",")
				kind := "string"
				if m := tagType.FindStringSubmatch(rest); m != nil {
					kind = m[1]
				}
				uses = append(uses, tagUse{
					name: strings.TrimSpace(name), kind: kind, hasDefault: hasDefault(x.Value),
					attr: a, field: x, path: slices.Clone(path),
				})
			}
		}
		return true
	}, func(n ast.Node) {
		if x, ok := n.(*ast.Field); ok {
			if _, _, err := ast.LabelName(x.Label); err == nil && x.Constraint == token.ILLEGAL {
				path = path[:len(path)-1]
			}
		}
	})
	return uses
}

var tagType = regexp.MustCompile(`\btype\s*=\s*(string|int|number|bool)\b`)

// hasDefault reports whether a field's value marks a default (*x | ...):
// an unset variable then leaves the field to it.
func hasDefault(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.UnaryExpr:
		return x.Op == token.MUL
	case *ast.BinaryExpr:
		return (x.Op == token.OR || x.Op == token.AND) && (hasDefault(x.X) || hasDefault(x.Y))
	case *ast.ParenExpr:
		return hasDefault(x.X)
	}
	return false
}

// reader names what reads a secret, from the path of its field.
func reader(path []string) string {
	switch {
	case len(path) >= 4 && path[0] == "bundles" && path[2] == "apps":
		return fmt.Sprintf("app %q of bundle %q", path[3], path[1])
	case len(path) >= 2 && path[0] == "clusters":
		return fmt.Sprintf("cluster %q", path[1])
	case len(path) >= 3 && path[0] == "platform" && path[1] == "settings":
		return fmt.Sprintf("platform setting %q", path[2])
	}
	return strings.Join(path, ".")
}

// tagPattern finds the names of @tag attributes in a file's bytes, for the
// cache key: the values of those variables are inputs too. It may find more
// than cue/load would (say, in a comment); that only costs a cache miss.
var tagPattern = regexp.MustCompile(`@tag\(\s*"?([A-Za-z_][A-Za-z0-9_]*)`)

func tagNames(data []byte) []string {
	var names []string
	for _, m := range tagPattern.FindAllSubmatch(data, -1) {
		names = append(names, string(m[1]))
	}
	return names
}
