package eval

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/load"
)

// How CUE's errors are shaped into what a user reads. Each decision is
// made from the structure of an error, never its text: its path, its
// positions compared with the module's schema/ directory, whether CUE
// marks it incomplete (cue.IsIncomplete), and, for a failed bound, the
// meaning the schema itself states for it (#Bounds in schema/names.cue).

// checksField is the hidden struct of #Cluster holding its policy checks
// (schema/cluster.cue), each field named for the cluster field it checks:
// env, labels, values; the others check bundles. TestSchemaShape keeps
// these names in step with the schema.
const checksField = "_checks"

// checkedFields are the fields of checksField named for the cluster field
// they check.
var checkedFields = []string{"env", "labels", "values"}

// shaper shapes the errors of one module.
type shaper struct {
	// schemaDir is the module's schema/ directory: a position in it is
	// the schema's, not the user's; bundlesDir, its bundles/.
	schemaDir, bundlesDir string
	// bounds are the schema's #Bounds: for a regular expression of the
	// schema, what a value failing it should have been.
	bounds map[string]string
	// schema is the module's schema package, built again where it is
	// needed: a CUE value is not shared by the workers.
	schema *build.Instance
	// shared, if set, evaluates shared values (Options.Shared).
	shared *Shared
}

// def builds the schema's definition name, in a context of its own.
func (s *shaper) def(name string) cue.Value {
	if s.schema == nil {
		return cue.Value{}
	}
	return cuecontext.New().BuildInstance(s.schema).LookupPath(cue.MakePath(cue.Def(name)))
}

// newShaper reads the bounds from the module's schema instance.
func newShaper(root string, schema *build.Instance) *shaper {
	s := &shaper{schemaDir: filepath.Join(root, load.SchemaDir), bundlesDir: filepath.Join(root, load.BundlesDir), bounds: map[string]string{}, schema: schema}
	if schema == nil {
		return s
	}
	iter, err := cuecontext.New().BuildInstance(schema).LookupPath(cue.MakePath(cue.Def("#Bounds"))).Fields()
	if err != nil {
		return s // a schema without #Bounds: CUE's own messages
	}
	for iter.Next() {
		if meaning, err := iter.Value().String(); err == nil {
			s.bounds[iter.Selector().Unquoted()] = meaning
		}
	}
	return s
}

// schemaOf finds the schema package among the imports of a cluster
// directory's instance.
func schemaOf(inst *build.Instance) *build.Instance {
	for _, imp := range inst.Imports {
		if imp.Dir == filepath.Join(inst.Root, load.SchemaDir) {
			return imp
		}
		if s := schemaOf(imp); s != nil {
			return s
		}
	}
	return nil
}

func (s *shaper) inSchema(p token.Pos) bool { return in(p, s.schemaDir) }

func (s *shaper) inBundles(p token.Pos) bool { return in(p, s.bundlesDir) }

func in(p token.Pos, dir string) bool {
	return p.IsValid() && dir != "" && strings.HasPrefix(p.Filename(), dir+string(filepath.Separator))
}

// hasSourcePos reports whether e has a position outside the schema.
func (s *shaper) hasSourcePos(e cueerrors.Error) bool {
	return slices.ContainsFunc(cueerrors.Positions(e), func(p token.Pos) bool { return !s.inSchema(p) })
}

// declPos is where v is declared in the platform's own files: v.Pos() is
// often the schema's pattern (apps: [Name=#Name]: #App), which tells the
// user nothing; one of the unified conjuncts is the user's literal.
func (s *shaper) declPos(v cue.Value) token.Pos {
	if op, args := v.Expr(); op == cue.AndOp {
		for _, a := range args {
			if p := a.Pos(); p.IsValid() && !s.inSchema(p) {
				return p
			}
		}
	}
	return v.Pos()
}

// atDeclaration gives each error that CUE places in the schema alone (a
// bad name taken from a label, say) the position of the nearest enclosing
// field the platform's files declare: the bundle's app, the environment.
func (s *shaper) atDeclaration(root cue.Value, err cueerrors.Error) cueerrors.Error {
	if err == nil {
		return nil
	}
	var out cueerrors.Error
	for _, e := range cueerrors.Errors(err) {
		if !s.hasSourcePos(e) {
			for path := e.Path(); len(path) > 0; path = path[:len(path)-1] {
				if p := s.declPos(root.LookupPath(cue.ParsePath(strings.Join(path, ".")))); p.IsValid() && !s.inSchema(p) {
					e = &located{e: e, pos: p}
					break
				}
			}
		}
		out = cueerrors.Append(out, s.reword(e))
	}
	return out
}

// reword says what a failed bound of the schema means: CUE's message for a
// value out of a bound quotes the regular expression (its second
// argument), the schema's #Bounds says in words what it should have been;
// for strings.MaxRunes(N), how long the value is. Other errors are kept.
func (s *shaper) reword(e cueerrors.Error) cueerrors.Error {
	_, args := e.Msg()
	if len(args) < 2 {
		return e
	}
	value := fmt.Sprint(args[0])
	x, err := parser.ParseExpr("bound", fmt.Sprint(args[1]))
	if err != nil {
		return e
	}
	switch x := x.(type) {
	case *ast.UnaryExpr:
		lit, ok := x.X.(*ast.BasicLit)
		if !ok || (x.Op != token.MAT && x.Op != token.NMAT) {
			return e
		}
		re, err := strconv.Unquote(lit.Value)
		if meaning, ok := s.bounds[re]; err == nil && ok {
			return &reworded{e: e, format: "invalid value %s: %s", args: []any{value, meaning}, path: e.Path()}
		}
	case *ast.CallExpr:
		sel, ok := x.Fun.(*ast.SelectorExpr)
		if !ok || len(x.Args) != 1 {
			return e
		}
		name, _, _ := ast.LabelName(sel.Sel)
		limit, isLit := x.Args[0].(*ast.BasicLit)
		if name != "MaxRunes" || !isLit {
			return e
		}
		if str, err := strconv.Unquote(value); err == nil {
			return &reworded{e: e, format: "invalid value %s: %d characters long, at most %s allowed",
				args: []any{value, utf8.RuneCountInString(str), limit.Value}, path: e.Path()}
		}
	}
	return e
}

// incomplete reports whether CUE marks e incomplete: a value left
// unresolved (a required field no one set), rather than a wrong one.
func incomplete(e cueerrors.Error) bool {
	for {
		switch w := e.(type) {
		case *reworded:
			e = w.e
			continue
		case *located:
			e = w.e
			continue
		}
		return cue.IsIncomplete(e)
	}
}

// policy reports whether e is one of the schema's policy checks.
func policy(path []string) bool { return slices.Contains(path, checksField) }

// locate gives each error of a cluster a position in the user's files when
// CUE only knows the schema's: the deepest field on the error's path that
// the cluster's files set, or else the cluster's declaration. An error
// that CUE repeats along every reference to the broken field is kept once,
// at its shortest path. A policy message is said of its cluster.
func (s *shaper) locate(err error, inst *build.Instance, d load.Declared, h *hints) cueerrors.Error {
	all := cueerrors.Errors(err)
	var out cueerrors.Error
	envUnset := h.envUnset()
	if envUnset {
		// Everything the environment's files set, and every value that
		// reads the environment, is incomplete: one sentence says why.
		out = cueerrors.Append(out, newError(d.Pos, nil,
			"cluster %q: its environment is not set: give it env: one of %s, in its files or in an env.cue of a directory above it, as clusters/<env>/env.cue does for the clusters below it",
			d.Name, quoteAll(h.envs)))
	}
	slices.SortStableFunc(all, func(a, b cueerrors.Error) int { return len(a.Path()) - len(b.Path()) })
	// The fields that are in error themselves: a policy check about one of
	// them (env, bundles, labels, values) only repeats that error, often
	// garbled ("env "clusterEnv" is not one of ...").
	broken := map[string]bool{}
	// The policy messages: one surfacing in the values that read the
	// broken field repeats it.
	policies := map[string]bool{}
	for _, e := range all {
		if policy(e.Path()) {
			policies[message(e)] = true
		} else {
			broken[strings.Join(e.Path(), ".")] = true
		}
	}
	// A broken field of the cluster that a bundle's values read (its name,
	// through #cluster) is reported again where they read it, at the
	// field's path and with a position in bundles/: the error at the field
	// says it. (Below values, bundle positions are where the values come
	// from, not a cascade.)
	readByBundle := func(e cueerrors.Error) bool {
		return slices.ContainsFunc(cueerrors.Positions(e), s.inBundles)
	}
	plain := map[string]bool{}
	for _, e := range all {
		if !readByBundle(e) {
			plain[strings.Join(e.Path(), ".")] = true
		}
	}
	// A field spelled wrong leaves the one meant unset: the misspelling,
	// with what it probably meant, says both.
	meant := map[string]bool{}
	var cluster cue.Value // #Cluster, built if an error may be a field it does not have
	notAllowedHere := func(e cueerrors.Error) (string, bool) {
		p := e.Path()
		if len(p) <= 2 || policy(p) || incomplete(e) || !s.hasSourcePos(e) {
			return "", false
		}
		if !cluster.Exists() {
			cluster = s.def("#Cluster")
		}
		return notAllowed(cluster, p[2:])
	}
	for _, e := range all {
		if p := e.Path(); len(p) > 2 {
			if best, ok := notAllowedHere(e); ok && best != "" {
				meant[strings.Join(append(slices.Clone(p[2:len(p)-1]), best), ".")] = true
			}
		}
	}
	seen := map[string]bool{}
	explained := map[string]bool{}
	for _, e := range all {
		if envUnset && (incomplete(e) || policy(e.Path())) {
			continue
		}
		if p := e.Path(); incomplete(e) && len(p) > 2 && meant[strings.Join(p[2:], ".")] {
			continue
		}
		msg := message(e)
		key := msg
		if path := e.Path(); incomplete(e) && len(path) > 0 {
			// Fields left unset share their message ("incomplete value
			// #Name"), so the key has the field's name too: vsphereNamespace
			// and nodePools.x.vmClass are two errors, while tkr and the
			// controlPlane.tkr that defaults to it are one.
			key += "\x00" + path[len(path)-1]
		}
		if seen[key] || (len(all) > 1 && cascade(e.Path(), policies[msg])) {
			continue
		}
		if policy(e.Path()) && broken[strings.Join(userPath(e.Path()), ".")] {
			continue
		}
		if p := strings.Join(e.Path(), "."); readByBundle(e) && plain[p] && !strings.Contains(p, ".values.") {
			continue
		}
		seen[key] = true
		path := userPath(e.Path())
		pos, depth := fieldPos(inst, path)
		switch {
		case !pos.IsValid() && !hasUserPos(e, inst, ""):
			pos = d.Pos
		case depth < len(path) && s.hasSourcePos(e):
			// Only a parent field matched, and CUE knows where the value
			// comes from (a bundle, say): that says more.
			pos = token.NoPos
		}
		isUser := func(file string) bool { return isUserFile(inst, file) }
		field, unsetField := s.unset(e, path, depth)
		notAllowed, isNotAllowed := "", false
		if !unsetField {
			var best string
			best, isNotAllowed = notAllowedHere(e)
			notAllowed = meaning(best)
		}
		switch {
		case unsetField:
			e = &reworded{e: e, format: "cluster %q: required field %s is not set", args: []any{d.Name, field}}
		case policy(e.Path()):
			if p := elementPos(inst, e.Path(), h); p.IsValid() {
				pos = p
			}
			e = &reworded{e: e, format: "cluster %q: %s%s", args: []any{d.Name, msg, h.policyHint(e.Path())}}
		case isNotAllowed:
			e = taught(e, e.Path(), "the model has no field %q here%s", unquote(e.Path()[len(e.Path())-1]), notAllowed)
		default:
			why, bundlePos, ok := s.overridden(h, e.Path(), isUser)
			if !ok {
				why, bundlePos, ok = s.mistyped(h, e.Path(), isUser)
			}
			if ok {
				// One sentence says it all: CUE's other errors at this
				// value (one per branch of a disjunction) are dropped.
				key := strings.Join(e.Path(), ".")
				if explained[key] {
					continue
				}
				explained[key] = true
				userPos := e.Position()
				if p, _ := fieldPos(inst, e.Path()); p.IsValid() {
					userPos = p
				}
				for _, p := range cueerrors.Positions(e) {
					if isUser(p.Filename()) {
						userPos = p
					}
				}
				out = cueerrors.Append(out, newError(userPos, []token.Pos{bundlePos}, "cluster %q: %s: %s", d.Name, strings.Join(e.Path()[2:], "."), why))
				continue
			}
			e = s.reword(e)
		}
		// CUE's own position wins over ours in the same file: it points at
		// the value rather than the field.
		if pos.IsValid() && !hasUserPos(e, inst, pos.Filename()) {
			e = &located{e: e, pos: pos}
		}
		out = cueerrors.Append(out, e)
	}
	return out
}

// message formats e's own message.
func message(e cueerrors.Error) string {
	format, args := e.Msg()
	return fmt.Sprintf(format, args...)
}

// cascade reports whether an error only repeats another one along a
// reference: one found through a definition such as #bundles, or a policy
// message surfacing in the values that read the field it is about.
func cascade(path []string, isPolicyMessage bool) bool {
	if throughDefinition(path) {
		return true
	}
	return !policy(path) && isPolicyMessage && len(path) > 2 && path[2] == "values"
}

// withoutDefinitions drops the errors found through a definition.
func withoutDefinitions(err cueerrors.Error) cueerrors.Error {
	var out cueerrors.Error
	for _, e := range cueerrors.Errors(err) {
		if !throughDefinition(e.Path()) {
			out = cueerrors.Append(out, e)
		}
	}
	return out
}

// throughDefinition reports whether the path goes through a definition
// such as #bundles: such an error repeats one found on a regular field.
func throughDefinition(path []string) bool {
	return slices.ContainsFunc(path, func(s string) bool { return strings.HasPrefix(s, "#") })
}

// unset reports whether e says that a field of the cluster has no value
// because nothing but the schema mentions it: no file of the cluster sets
// it (depth is how much of path they set) and no bundle or default gives
// it. CUE calls that an incomplete value and quotes the schema's
// constraint; the user forgot a required field. It returns the field's
// path below the cluster.
func (s *shaper) unset(e cueerrors.Error, path []string, depth int) (string, bool) {
	if !incomplete(e) {
		return "", false
	}
	if len(path) < 3 || path[0] != "clusters" || depth >= len(path) || s.hasSourcePos(e) || throughDefinition(path) {
		return "", false
	}
	return strings.Join(path[2:], "."), true
}

// userPath maps the path of an error to the field a user writes: a failed
// policy check is about the env, labels, bundles or values field.
func userPath(path []string) []string {
	if len(path) == 3 && path[0] == "clusters" && path[2] == "name" {
		return path[:2] // the name is the label of the declaration
	}
	if i := slices.Index(path, checksField); i >= 0 {
		out := slices.Clone(path[:i])
		switch {
		case i+2 < len(path) && path[i+1] == "values":
			return append(out, "values", path[i+2]) // the app's values
		case i+1 < len(path) && slices.Contains(checkedFields, path[i+1]):
			return append(out, path[i+1])
		}
		return append(out, "bundles")
	}
	return path
}

// reworded is a CUE error with a plainer message. Its path is the
// error's, unless the message names what it is about itself (nil path):
// a report prefixes a message with the path of the value it is about.
type reworded struct {
	e      cueerrors.Error
	format string
	args   []any
	path   []string
}

func (r *reworded) Position() token.Pos         { return r.e.Position() }
func (r *reworded) InputPositions() []token.Pos { return r.e.InputPositions() }
func (r *reworded) Path() []string              { return r.path }
func (r *reworded) Msg() (string, []any)        { return r.format, r.args }
func (r *reworded) Error() string               { return fmt.Sprintf(r.format, r.args...) }
func (r *reworded) Unwrap() error               { return nil }

// located is a CUE error with one more position, where the user can fix it.
type located struct {
	e   cueerrors.Error
	pos token.Pos
}

func (l *located) Position() token.Pos  { return l.e.Position() }
func (l *located) Path() []string       { return l.e.Path() }
func (l *located) Msg() (string, []any) { return l.e.Msg() }
func (l *located) Error() string        { return l.e.Error() }
func (l *located) InputPositions() []token.Pos {
	return append([]token.Pos{l.pos}, l.e.InputPositions()...)
}

// hasUserPos reports whether one of e's positions is in a file of the
// cluster's own directory or of a directory between it and clusters/, and
// in file if file is set.
func hasUserPos(e cueerrors.Error, inst *build.Instance, file string) bool {
	for _, p := range cueerrors.Positions(e) {
		if (file == "" || p.Filename() == file) && isUserFile(inst, p.Filename()) {
			return true
		}
	}
	return false
}

// fieldError is an error at a field platformc found itself.
type fieldError struct {
	pos    token.Pos
	path   []string
	format string
	args   []any
}

func (e *fieldError) Position() token.Pos         { return e.pos }
func (e *fieldError) InputPositions() []token.Pos { return nil }
func (e *fieldError) Path() []string              { return e.path }
func (e *fieldError) Msg() (string, []any)        { return e.format, e.args }
func (e *fieldError) Error() string               { return fmt.Sprintf(e.format, e.args...) }
