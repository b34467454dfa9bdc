package eval

import (
	"fmt"
	"strings"
	"testing"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/platformc/platformc/internal/model"
)

// namesPlatform has control plane "fleet" on engine sveltos managing envs,
// each on its branch, and the bundles given, every one enabled on a
// cluster of every env.
func namesPlatform(engine string, envs map[string]string, bundles ...string) *model.Platform {
	p := &model.Platform{
		Defaults: model.Defaults{
			CatalogRepo:   model.CatalogRepo{URL: "git@git/catalog.git"},
			Environments:  map[string]model.Environment{},
			ControlPlanes: map[string]model.ControlPlane{},
			Sveltos:       model.Sveltos{Flux: model.Flux{Name: "catalog"}},
		},
		Bundles: map[string]*model.Bundle{},
	}
	cp := model.ControlPlane{Name: "fleet", Engine: engine}
	for env, branch := range envs {
		p.Defaults.Environments[env] = model.Environment{Name: env, Branch: branch}
		cp.Environments = append(cp.Environments, env)
		p.Clusters = append(p.Clusters, &model.Cluster{Name: "c-" + env, Env: env, Bundles: bundles})
	}
	p.Defaults.ControlPlanes["fleet"] = cp
	for _, b := range bundles {
		p.Bundles[b] = &model.Bundle{Name: b, Apps: map[string]*model.App{}}
	}
	model.LinkApps(p.Bundles, p.Defaults)
	return p
}

func messages(err cueerrors.Error) []string {
	var out []string
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		out = append(out, fmt.Sprintf(format, args...))
	}
	return out
}

func TestSveltosNames(t *testing.T) {
	long := strings.Repeat("e", 50)
	for _, tc := range []struct {
		name  string
		p     *model.Platform
		check func(*model.Platform) cueerrors.Error
		want  []string
	}{{
		name:  "profiles made twice",
		p:     namesPlatform(model.EngineSveltos, map[string]string{"dev": "main", "basic-dev": "main"}, "core", "core-basic"),
		check: sveltosProfiles,
		want:  []string{`ClusterProfile name "core-basic-dev" would be made for bundle "core" in env "basic-dev" and for bundle "core-basic" in env "dev"; the names of the Sveltos engine's ClusterProfiles (<bundle>-<env>) must be unique: rename a bundle or an environment`},
	}, {
		name:  "profile name too long",
		p:     namesPlatform(model.EngineSveltos, map[string]string{long: "main"}, "core-basic", "monitoring-basic"),
		check: sveltosProfiles,
		want:  []string{`ClusterProfile name "monitoring-basic-` + long + `" (bundle "monitoring-basic", env "` + long + `") is longer than 63 characters, which Sveltos cannot label its objects with; shorten the bundle's or the environment's name`},
	}, {
		name:  "one branch",
		p:     namesPlatform(model.EngineSveltos, map[string]string{"qa": "release/1"}, "core"),
		check: sveltosSources,
	}, {
		name: "branches sharing a source name",
		p: func() *model.Platform {
			p := namesPlatform(model.EngineSveltos, map[string]string{"qa": "release/1", "uat": "Release-1"}, "core")
			cp := p.Defaults.ControlPlanes["fleet"]
			cp.Environments = []string{"qa", "uat"}
			p.Defaults.ControlPlanes["fleet"] = cp
			return p
		}(),
		check: sveltosSources,
		want:  []string{`the Flux GitRepositories of branches "release/1" and "Release-1" would both be named "catalog-release-1"; give the environments branches that differ in more than case and punctuation`},
	}, {
		name:  "source name too long",
		p:     namesPlatform(model.EngineSveltos, map[string]string{"qa": strings.Repeat("b", 60)}, "core"),
		check: sveltosSources,
		want:  []string{`the Flux GitRepository of branch "` + strings.Repeat("b", 60) + `" would be named "catalog-` + strings.Repeat("b", 60) + `", which is not a DNS-1123 label (at most 63 characters); shorten platform.sveltos.flux.name or the branch`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(tc.check(tc.p))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			// On ArgoCD the engine's names are not made, and not checked.
			cp := tc.p.Defaults.ControlPlanes["fleet"]
			cp.Engine = model.EngineArgoCD
			tc.p.Defaults.ControlPlanes["fleet"] = cp
			if err := tc.check(tc.p); err != nil {
				t.Errorf("on ArgoCD: %v", err)
			}
		})
	}
}
