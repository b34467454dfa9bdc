package eval

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/model"
)

// Check runs the checks that need the whole platform at once, which one
// cluster's CUE cannot see: unique cluster names across files, unique app
// names across bundles, one control plane per environment, unique
// Application names, and no two apps of a cluster installing the same
// release in the same namespace.
func Check(p *model.Platform) error {
	var errs cueerrors.Error
	errs = cueerrors.Append(errs, uniqueClusters(p.Clusters))
	errs = cueerrors.Append(errs, uniqueApps(p.Bundles))
	errs = cueerrors.Append(errs, controlPlanes(p.Defaults))
	errs = cueerrors.Append(errs, applicationNames(p))
	for _, c := range p.Clusters {
		errs = cueerrors.Append(errs, releases(p, c))
	}
	if errs != nil {
		return errs
	}
	return nil
}

func uniqueClusters(clusters []*model.Cluster) cueerrors.Error {
	where := map[string][]token.Pos{}
	for _, c := range clusters {
		where[c.Name] = append(where[c.Name], c.Pos)
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
			managers[env] = append(managers[env], quote(cp))
		}
	}
	for _, env := range slices.Sorted(maps.Keys(d.Environments)) {
		switch n := len(managers[env]); {
		case n == 0:
			errs = cueerrors.Append(errs, newError(d.Environments[env].Pos, nil,
				"platform: no control plane manages environment %q; add it to one controlPlanes.<name>.environments", env))
		case n > 1:
			errs = cueerrors.Append(errs, newError(d.Environments[env].Pos, nil,
				"platform: environment %q is managed by control planes %s; each environment has one", env, strings.Join(managers[env], " and ")))
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

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = quote(s)
	}
	return strings.Join(q, ", ")
}
