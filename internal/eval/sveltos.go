package eval

import (
	"maps"
	"slices"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/internal/model"
)

// maxProfileName is the longest ClusterProfile name Sveltos can use: it
// labels the ClusterSummaries it makes with the name, and a label value
// has at most 63 characters.
const maxProfileName = 63

// sveltosProfiles checks the names of the ClusterProfiles the control
// planes with engine "sveltos" get, one per bundle enabled in an
// environment: <bundle>-<env> can be made in two ways when names contain
// dashes ("core" in "basic-dev" and "core-basic" in "dev"), and Sveltos
// uses the name as a label value.
func sveltosProfiles(p *model.Platform) cueerrors.Error {
	type use struct{ bundle, env string }
	uses := map[string][]use{}
	seen := map[use]bool{}
	for _, c := range p.Clusters {
		cp, ok := p.ControlPlaneOf(c.Env)
		if !ok || !cp.Sveltos() {
			continue
		}
		for _, b := range c.Bundles {
			u := use{b, c.Env}
			if seen[u] || p.Bundles[b] == nil {
				continue
			}
			seen[u] = true
			name := model.ProfileName(b, c.Env)
			uses[name] = append(uses[name], u)
		}
	}
	var errs cueerrors.Error
	for _, name := range slices.Sorted(maps.Keys(uses)) {
		u := uses[name]
		slices.SortFunc(u, func(a, b use) int { return strings.Compare(a.bundle+"\x00"+a.env, b.bundle+"\x00"+b.env) })
		first := u[0]
		pos := func(x use) []token.Pos {
			return []token.Pos{p.Bundles[x.bundle].Pos, p.Defaults.Environments[x.env].Pos}
		}
		if len(u) > 1 {
			var others []token.Pos
			others = append(others, pos(first)[1:]...)
			for _, x := range u[1:] {
				others = append(others, pos(x)...)
			}
			errs = cueerrors.Append(errs, newError(pos(first)[0], others,
				"ClusterProfile name %q would be made for bundle %q in env %q and for bundle %q in env %q; the names of the Sveltos engine's ClusterProfiles (<bundle>-<env>) must be unique: rename a bundle or an environment",
				name, first.bundle, first.env, u[1].bundle, u[1].env))
			continue
		}
		if len(name) > maxProfileName {
			errs = cueerrors.Append(errs, newError(pos(first)[0], pos(first)[1:],
				"ClusterProfile name %q (bundle %q, env %q) is longer than %d characters, which Sveltos cannot label its objects with; shorten the bundle's or the environment's name",
				name, first.bundle, first.env, maxProfileName))
		}
	}
	return errs
}

// sveltosSources checks the names of the Flux GitRepositories the control
// planes with engine "sveltos" get, one per catalog repo and branch their
// environments deploy from: <flux.name>-<branch>, which must be a DNS-1123
// label, and which two branches may not share ("release/1" and
// "release-1").
func sveltosSources(p *model.Platform) cueerrors.Error {
	type source struct{ url, branch string }
	urls := []string{p.Defaults.CatalogRepo.URL}
	for _, a := range p.AllApps() {
		if !slices.Contains(urls, a.ArgoCD.CatalogRepo.URL) {
			urls = append(urls, a.ArgoCD.CatalogRepo.URL)
		}
	}
	names := map[string][]source{}
	where := map[source]token.Pos{}
	for _, cp := range p.SveltosControlPlanes() {
		for _, env := range cp.Environments {
			e, ok := p.Defaults.Environments[env]
			if !ok {
				continue // reported by controlPlanes
			}
			for _, url := range urls {
				s := source{url, e.Branch}
				if _, dup := where[s]; dup {
					continue
				}
				where[s] = e.Pos
				name := p.Defaults.SourceName(url, e.Branch)
				names[name] = append(names[name], s)
			}
		}
	}
	var errs cueerrors.Error
	for _, name := range slices.Sorted(maps.Keys(names)) {
		s := names[name]
		switch {
		case len(s) > 1:
			var others []token.Pos
			for _, x := range s[1:] {
				others = append(others, where[x])
			}
			errs = cueerrors.Append(errs, newError(where[s[0]], others,
				"the Flux GitRepositories of branches %q and %q would both be named %q; give the environments branches that differ in more than case and punctuation",
				s[0].branch, s[1].branch, name))
		case !model.ValidName(name):
			errs = cueerrors.Append(errs, newError(where[s[0]], nil,
				"the Flux GitRepository of branch %q would be named %q, which is not a DNS-1123 label (at most 63 characters); shorten platform.sveltos.flux.name or the branch",
				s[0].branch, name))
		}
	}
	return errs
}
