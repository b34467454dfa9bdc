package eval

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
)

// CheckDefaults runs the checks that need every bundle or every control
// plane at once: app names unique across bundles, bundle requirements that
// name existing bundles without a cycle, and one control plane per
// environment; and that app, category and control plane names can become
// paths. Defaults runs them, so that a platform that fails them is never
// cached.
func CheckDefaults(p *model.Platform) cueerrors.Error {
	var errs cueerrors.Error
	errs = cueerrors.Append(errs, platformNames(p))
	errs = cueerrors.Append(errs, uniqueApps(p.Bundles))
	errs = cueerrors.Append(errs, requirements(p.Bundles))
	errs = cueerrors.Append(errs, controlPlanes(p.Defaults))
	errs = cueerrors.Append(errs, sveltosSources(p))
	return errs
}

// Check runs the checks that need every cluster at once, which one
// cluster's CUE cannot see: unique cluster names across files, unique
// Application names, and no two apps of a cluster installing the same
// release in the same namespace.
func Check(p *model.Platform) error {
	var errs cueerrors.Error
	errs = cueerrors.Append(errs, uniqueClusters(declarations(p.Clusters)))
	errs = cueerrors.Append(errs, applicationNames(p))
	errs = cueerrors.Append(errs, sveltosProfiles(p))
	for _, c := range p.Clusters {
		errs = cueerrors.Append(errs, releases(p, c))
	}
	if errs != nil {
		return errs
	}
	return nil
}

// Declarations checks, before anything is evaluated, that no cluster is
// declared in two of the loaded directories, or in one of them and among
// others (clusters from the build cache): a cluster declared twice would
// otherwise be evaluated, incomplete, in each directory, and reported for
// what it lacks there rather than for being declared twice.
func Declarations(dirs []*load.ClusterDir, others []*model.Cluster) error {
	var decls []load.Declared
	for _, d := range dirs {
		decls = append(decls, d.Declared...)
	}
	return Declared(decls, others)
}

// Declared is Declarations over the declarations themselves, gathered
// while the directories were loaded, for a build that evaluates them as
// they are loaded: its errors are then reported instead of the
// evaluation's.
func Declared(decls []load.Declared, others []*model.Cluster) error {
	if errs := uniqueClusters(slices.Concat(declarations(others), decls)); errs != nil {
		return errs
	}
	return nil
}

func declarations(clusters []*model.Cluster) []load.Declared {
	var decls []load.Declared
	for _, c := range clusters {
		decls = append(decls, load.Declared{Name: c.Name, Pos: c.Pos})
	}
	return decls
}

func uniqueClusters(decls []load.Declared) cueerrors.Error {
	where := map[string][]token.Pos{}
	for _, d := range decls {
		where[d.Name] = append(where[d.Name], d.Pos)
	}
	var errs cueerrors.Error
	for _, name := range slices.Sorted(maps.Keys(where)) {
		pos := where[name]
		if len(pos) < 2 {
			continue
		}
		for i, p := range pos {
			others := slices.Delete(slices.Clone(pos), i, i+1)
			errs = cueerrors.Append(errs, newError(p, others,
				"cluster %q is declared in %d directories; cluster names are unique across the platform", name, len(pos)))
		}
	}
	return errs
}

// The names that become path elements of the output are checked in Go
// too. The schema requires DNS-1123 labels, but the schema is the
// platform's own: a loosened one must not let "../x" or "a/b" through to
// render (which refuses them as well, but without a position). A
// cluster's names are checked as it is evaluated, the apps' and control
// planes' with the defaults.

func clusterNames(c *model.Cluster, pos token.Pos) cueerrors.Error {
	var errs cueerrors.Error
	if !model.ValidName(c.Name) {
		errs = cueerrors.Append(errs, badName(pos, "cluster name %q", c.Name))
	}
	if !model.ValidName(c.VSphereNamespace) {
		errs = cueerrors.Append(errs, badName(pos, "cluster %q: vsphereNamespace %q", c.Name, c.VSphereNamespace))
	}
	return errs
}

func platformNames(p *model.Platform) cueerrors.Error {
	var errs cueerrors.Error
	for _, a := range p.AllApps() {
		if !model.ValidName(a.Name) {
			errs = cueerrors.Append(errs, badName(a.Pos, "app name %q", a.Name))
		}
		if !model.ValidName(a.Category) {
			errs = cueerrors.Append(errs, badName(a.Pos, "app %q: category %q", a.Name, a.Category))
		}
	}
	for _, cp := range p.ControlPlanes() {
		if !model.ValidName(cp.Name) {
			errs = cueerrors.Append(errs, badName(cp.Pos, "control plane name %q", cp.Name))
		}
	}
	return errs
}

func badName(pos token.Pos, format string, args ...any) cueerrors.Error {
	return newError(pos, nil, format+" is not a DNS-1123 label (lowercase letters, digits and \"-\", starting and ending with a letter or digit, at most 63 characters); names become paths in the output", args...)
}

// requirements checks that every bundle a bundle requires exists, and
// that requirements form no cycle: bundles that require each other can
// only ever be enabled together, which is one bundle written as several.
func requirements(bundles map[string]*model.Bundle) cueerrors.Error {
	names := slices.Sorted(maps.Keys(bundles))
	var errs cueerrors.Error
	for _, name := range names {
		b := bundles[name]
		for _, r := range b.Requires {
			if _, ok := bundles[r]; !ok {
				errs = cueerrors.Append(errs, newError(b.RequiresPos, nil,
					"bundle %q requires bundle %q, which does not exist (bundles: %s)", name, r, strings.Join(names, ", ")))
			}
		}
	}
	for _, c := range cycles(bundles) {
		b := bundles[c.path[0]]
		if len(c.path) == 2 {
			errs = cueerrors.Append(errs, newError(b.RequiresPos, nil, "bundle %q requires itself", c.path[0]))
			continue
		}
		var others []token.Pos
		for _, n := range c.members[1:] {
			others = append(others, bundles[n].RequiresPos)
		}
		if len(c.members) > len(c.path)-1 {
			q := quoteEach(c.members)
			errs = cueerrors.Append(errs, newError(b.RequiresPos, others,
				"bundles %s and %s require each other through their requirements (a cycle: %s); bundles that require each other are one bundle",
				strings.Join(q[:len(q)-1], ", "), q[len(q)-1], chain(c.path)))
			continue
		}
		errs = cueerrors.Append(errs, newError(b.RequiresPos, others,
			"bundle requirements form a cycle: %s; bundles that require each other are one bundle", chain(c.path)))
	}
	return errs
}

// cycle is a set of bundles that require each other (a strongly connected
// component of the requires graph, sorted), and one cycle through them
// from the smallest name back to it, as short as there is.
type cycle struct {
	members, path []string
}

// cycles finds each set of bundles that require each other once, in time
// linear in the requirements (Tarjan's algorithm): listing every cycle
// instead could take exponential time on a hostile bundles file.
func cycles(bundles map[string]*model.Bundle) []cycle {
	names := slices.Sorted(maps.Keys(bundles))
	requires := func(n string) []string {
		var out []string
		for _, r := range slices.Compact(slices.Sorted(slices.Values(bundles[n].Requires))) {
			if _, ok := bundles[r]; ok {
				out = append(out, r)
			}
		}
		return out
	}
	index, low := map[string]int{}, map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out []cycle
	var visit func(n string)
	visit = func(n string) {
		index[n], low[n] = len(index), len(index)
		stack = append(stack, n)
		onStack[n] = true
		for _, r := range requires(n) {
			if _, seen := index[r]; !seen {
				visit(r)
				low[n] = min(low[n], low[r])
			} else if onStack[r] {
				low[n] = min(low[n], index[r])
			}
		}
		if low[n] != index[n] {
			return
		}
		var members []string
		for {
			m := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[m] = false
			members = append(members, m)
			if m == n {
				break
			}
		}
		slices.Sort(members)
		if len(members) > 1 || slices.Contains(requires(n), n) {
			out = append(out, cycle{members: members, path: shortestCycle(members, requires)})
		}
	}
	for _, n := range names {
		if _, seen := index[n]; !seen {
			visit(n)
		}
	}
	slices.SortFunc(out, func(a, b cycle) int { return strings.Compare(a.members[0], b.members[0]) })
	return out
}

// shortestCycle is a shortest path from the first member back to it,
// through the members (breadth first, names in order).
func shortestCycle(members []string, requires func(string) []string) []string {
	start := members[0]
	prev := map[string]string{}
	queue := []string{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, r := range requires(n) {
			if r == start {
				path := []string{start}
				for m := n; m != start; m = prev[m] {
					path = append(path, m)
				}
				slices.Reverse(path[1:])
				return append(path, start)
			}
			if _, seen := prev[r]; !seen && slices.Contains(members, r) {
				prev[r] = n
				queue = append(queue, r)
			}
		}
	}
	return nil
}

// chain spells a cycle: "a" requires "b", which requires "a".
func chain(cycle []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q requires %q", cycle[0], cycle[1])
	for _, n := range cycle[2:] {
		fmt.Fprintf(&b, ", which requires %q", n)
	}
	return b.String()
}

func uniqueApps(bundles map[string]*model.Bundle) cueerrors.Error {
	owners := map[string][]*model.App{}
	for _, b := range slices.Sorted(maps.Keys(bundles)) {
		for _, a := range slices.Sorted(maps.Keys(bundles[b].Apps)) {
			owners[a] = append(owners[a], bundles[b].Apps[a])
		}
	}
	var errs cueerrors.Error
	for _, name := range slices.Sorted(maps.Keys(owners)) {
		apps := owners[name]
		if len(apps) < 2 {
			continue
		}
		var names []string
		var pos []token.Pos
		for _, a := range apps {
			names = append(names, quote(a.Bundle))
			pos = append(pos, a.Pos)
		}
		errs = cueerrors.Append(errs, newError(pos[0], pos[1:],
			"app %q is in bundles %s; an app belongs to one bundle (its values and ApplicationSet are keyed by app name)",
			name, strings.Join(names, " and ")))
	}
	return errs
}

func controlPlanes(d model.Defaults) cueerrors.Error {
	managers := map[string][]string{}
	var errs cueerrors.Error
	for _, cp := range slices.Sorted(maps.Keys(d.ControlPlanes)) {
		for _, env := range d.ControlPlanes[cp].Environments {
			if _, ok := d.Environments[env]; !ok {
				errs = cueerrors.Append(errs, newError(d.ControlPlanes[cp].Pos, nil,
					"platform: control plane %q manages environment %q, which is not declared (environments: %s)",
					cp, env, quoteAll(slices.Sorted(maps.Keys(d.Environments)))))
			}
			managers[env] = append(managers[env], cp)
		}
	}
	for _, env := range slices.Sorted(maps.Keys(d.Environments)) {
		cps := managers[env]
		switch {
		case len(cps) == 0:
			errs = cueerrors.Append(errs, newError(d.Environments[env].Pos, nil,
				"platform: no control plane manages environment %q; add it to one controlPlanes.<name>.environments", env))
		case len(cps) > 1:
			var others []token.Pos
			for _, cp := range cps[1:] {
				others = append(others, d.ControlPlanes[cp].Pos)
			}
			errs = cueerrors.Append(errs, newError(d.ControlPlanes[cps[0]].Pos, others,
				"platform: environment %q is managed by control planes %s; each environment has one", env, strings.Join(quoteEach(cps), " and ")))
		}
	}
	return errs
}

// applicationNames checks that no two Applications would get one name:
// <cluster>-<app> can be made in two ways when names contain dashes
// ("dev" + "alpha-web" and "dev-alpha" + "web"), and ArgoCD would then let
// one ApplicationSet take over the other's Application, or refuse it.
func applicationNames(p *model.Platform) cueerrors.Error {
	type use struct {
		c *model.Cluster
		a *model.App
	}
	uses := map[string][]use{}
	for _, c := range p.Clusters {
		for _, a := range p.Apps(c) {
			name := model.ApplicationName(c.Name, a.Name)
			uses[name] = append(uses[name], use{c, a})
		}
	}
	var errs cueerrors.Error
	for _, name := range slices.Sorted(maps.Keys(uses)) {
		u := uses[name]
		if len(u) < 2 {
			continue
		}
		var made []string
		var others []token.Pos
		for i, x := range u {
			made = append(made, fmt.Sprintf("app %q on cluster %q", x.a.Name, x.c.Name))
			if i > 0 {
				others = append(others, x.c.Pos)
			}
			others = append(others, x.a.Pos)
		}
		errs = cueerrors.Append(errs, newError(u[0].c.Pos, others,
			"application name %q would be generated for %s; Application names (<cluster>-<app>) must be unique on the platform: rename a cluster or an app",
			name, strings.Join(made, " and ")))
	}
	return errs
}

func releases(p *model.Platform, c *model.Cluster) cueerrors.Error {
	seen := map[string]*model.App{}
	var errs cueerrors.Error
	for _, a := range p.Apps(c) {
		key := a.Namespace + "/" + a.ReleaseName
		if prev, ok := seen[key]; ok {
			errs = cueerrors.Append(errs, newError(c.Pos, []token.Pos{prev.Pos, a.Pos},
				"cluster %q: apps %q (bundle %q) and %q (bundle %q) both install release %q in namespace %q",
				c.Name, prev.Name, prev.Bundle, a.Name, a.Bundle, a.ReleaseName, a.Namespace))
			continue
		}
		seen[key] = a
	}
	return errs
}

// platformError is an error found by Go rather than by CUE, shaped as a
// CUE error so that it is reported with the same positions and order.
type platformError struct {
	pos    token.Pos
	others []token.Pos
	format string
	args   []any
}

func newError(pos token.Pos, others []token.Pos, format string, args ...any) cueerrors.Error {
	return &platformError{pos: pos, others: others, format: format, args: args}
}

func (e *platformError) Position() token.Pos         { return e.pos }
func (e *platformError) InputPositions() []token.Pos { return e.others }
func (e *platformError) Path() []string              { return nil }
func (e *platformError) Msg() (string, []any)        { return e.format, e.args }
func (e *platformError) Error() string               { return cueerrors.String(e) }

func quote(s string) string { return `"` + s + `"` }

func quoteAll(ss []string) string { return strings.Join(quoteEach(ss), ", ") }

func quoteEach(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return q
}
