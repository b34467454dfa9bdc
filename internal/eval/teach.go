package eval

import (
	"fmt"
	"slices"
	"strconv"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/suggest"
)

// Errors that teach: what a cluster's mistake is measured against, so that
// a message can say what was probably meant, or how to do what was tried.
// Each is decided from the evaluated cluster (its fields, what the schema
// allows), never from the text of CUE's message.

// hints are the names a cluster's mistakes are measured against.
type hints struct {
	cluster cue.Value
	// bundles of the catalog, apps of the enabled bundles, environments.
	bundles, apps, envs []string
	// env is the cluster's environment, if it is set.
	env string
}

// hintsOf reads the names from the evaluated cluster cv.
func hintsOf(cv cue.Value) *hints {
	h := &hints{cluster: cv}
	catalog := cv.LookupPath(cue.MakePath(cue.Def("#catalog")))
	h.bundles = labels(catalog)
	var enabled []string
	_ = cv.LookupPath(cue.ParsePath("bundles")).Decode(&enabled)
	for _, b := range enabled {
		h.apps = append(h.apps, labels(catalog.LookupPath(cue.MakePath(cue.Str(b), cue.Str("apps"))))...)
	}
	h.envs = labels(cv.LookupPath(cue.MakePath(cue.Def("#platform"), cue.Str("environments"))))
	h.env, _ = cv.LookupPath(cue.ParsePath("env")).String()
	return h
}

// labels lists the regular fields of v.
func labels(v cue.Value) []string {
	iter, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var names []string
	for iter.Next() {
		names = append(names, iter.Selector().Unquoted())
	}
	return names
}

// didYouMean is "; did you mean "x"?" for the known name closest to name,
// if one is close enough to be a typo.
func didYouMean(name string, known []string) string {
	best, _ := suggest.Closest(name, known)
	return meaning(best)
}

// meaning is "; did you mean "best"?", or nothing without a best.
func meaning(best string) string {
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// policyHint is what to add to a policy message of the cluster: for a
// bundle, an app or an environment that does not exist, the closest that
// does. path is the error's, through the checks struct.
func (h *hints) policyHint(path []string) string {
	i := slices.Index(path, checksField)
	if h == nil || i < 0 || i+1 >= len(path) {
		return ""
	}
	name := ""
	if i+2 < len(path) {
		name = unquote(path[i+2])
	}
	switch path[i+1] {
	case "unknown":
		return didYouMean(name, h.bundles)
	case "values":
		return didYouMean(name, h.apps)
	case "env":
		if h.env != "" && !slices.Contains(h.envs, h.env) {
			return didYouMean(h.env, h.envs)
		}
	}
	return ""
}

// notAllowed reports whether the last element of path is a field that
// def, a definition of the schema (#Cluster, #App), does not allow where
// path leads, and the field it has there that is closest, if one is close
// enough to be meant. A place def leaves open (a pattern or ...) allows
// every field; one path cannot be followed into (a chart's own values)
// is not judged.
func notAllowed(def cue.Value, path []string) (best string, ok bool) {
	if !def.Exists() || len(path) == 0 {
		return "", false
	}
	at := def
	for _, sel := range path[:len(path)-1] {
		next := at.LookupPath(cue.MakePath(selector(sel)))
		if !next.Exists() {
			next = at.LookupPath(cue.MakePath(cue.AnyString))
		}
		if !next.Exists() {
			return "", false
		}
		at = next
	}
	label := unquote(path[len(path)-1])
	if at.IncompleteKind() != cue.StructKind || at.Allows(cue.Str(label)) {
		return "", false
	}
	best, _ = suggest.Closest(label, labels(at))
	return best, true
}

// envUnset reports whether the cluster has no environment: then nearly
// every field the environment's files would set, and every value that
// reads it, is incomplete, and one sentence says what is wrong.
func (h *hints) envUnset() bool {
	if h == nil {
		return false
	}
	env := h.cluster.LookupPath(cue.ParsePath("env"))
	return env.Exists() && !env.IsConcrete()
}

// conjuncts are, for a value in a cluster's values (path, an error's,
// below the cluster), the conjunct the cluster's own files give (mine)
// and the one its bundle gives (theirs), if it has both.
func (s *shaper) conjuncts(h *hints, path []string, isUser func(string) bool) (mine, theirs cue.Value, ok bool) {
	if h == nil || len(path) < 4 || path[2] != "values" {
		return mine, theirs, false
	}
	v := h.cluster
	for _, sel := range path[2:] {
		v = v.LookupPath(cue.MakePath(selector(sel)))
	}
	op, args := v.Expr()
	if op != cue.AndOp {
		return mine, theirs, false
	}
	for _, a := range args {
		switch p := a.Pos(); {
		case !p.IsValid():
		case isUser(p.Filename()):
			mine = a
		case !s.inSchema(p) && s.inBundles(p):
			theirs = a
		}
	}
	return mine, theirs, mine.Exists() && theirs.Exists() && mine.IsConcrete()
}

// overridden explains a conflict in a cluster's values between a value the
// cluster sets and one a bundle sets without a default: a bundle's value
// is the cluster's unless it is marked as a default (*v | type). It
// returns the explanation and the bundle's position, if that is what path
// (an error's, below the cluster) is.
func (s *shaper) overridden(h *hints, path []string, isUser func(string) bool) (string, token.Pos, bool) {
	mine, theirs, ok := s.conjuncts(h, path, isUser)
	if !ok || !theirs.IsConcrete() {
		return "", token.NoPos, false
	}
	msg := fmt.Sprintf("the cluster sets %s, but its bundle sets %s without a default (at the position below), which a cluster cannot override; to let clusters override it, write *%s | %s in the bundle",
		literal(mine), literal(theirs), literal(theirs), theirs.IncompleteKind())
	return msg, theirs.Pos(), true
}

// mistyped explains a value of a type the bundle does not allow where it
// sets a default or a type (replicaCount: *2 | int, set to "3"): one
// sentence rather than CUE's error for each branch of the disjunction.
func (s *shaper) mistyped(h *hints, path []string, isUser func(string) bool) (string, token.Pos, bool) {
	mine, theirs, ok := s.conjuncts(h, path, isUser)
	if !ok || theirs.IsConcrete() || mine.Kind()&theirs.IncompleteKind() != 0 {
		return "", token.NoPos, false
	}
	msg := fmt.Sprintf("the cluster sets %s, a %s, where its bundle allows %s (at the position below)",
		literal(mine), mine.Kind(), theirs.IncompleteKind())
	return msg, theirs.Pos(), true
}

// literal formats a concrete value as CUE would write it.
func literal(v cue.Value) string {
	return fmt.Sprint(v)
}

// selector makes a path element of an error back into a selector.
func selector(sel string) cue.Selector {
	if n, err := strconv.Atoi(sel); err == nil {
		return cue.Index(n)
	}
	return cue.Str(unquote(sel))
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// taught is an error with a message that says more, and more positions.
func taught(e cueerrors.Error, path []string, format string, args ...any) cueerrors.Error {
	return &reworded{e: e, format: format, args: args, path: path}
}
