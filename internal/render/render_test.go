package render

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/model"
)

// testPlatform is a small platform for the renderers' tests: control plane
// cp-a manages dev and staging, cp-b manages prod; bundle base has app
// web, bundle extra has app cache.
func testPlatform(clusters ...*model.Cluster) *model.Platform {
	argocd := model.AppArgoCD{
		Project: "bootstrap",
		SyncPolicy: model.SyncPolicy{
			Automated:       model.Automated{Enabled: true, Prune: true, SelfHeal: true},
			CreateNamespace: true,
		},
		CatalogRepo: model.CatalogRepo{URL: "git@git.example:catalog.git"},
	}
	return &model.Platform{
		Defaults: model.Defaults{
			ValuesRepo:  model.ValuesRepo{URL: "git@git.example:values.git", Revision: "main"},
			CatalogRepo: model.CatalogRepo{URL: "git@git.example:catalog.git"},
			ArgoCD:      model.ArgoCD{Namespace: "argocd"},
			Environments: map[string]model.Environment{
				"dev":     {Name: "dev", Branch: "development"},
				"staging": {Name: "staging", Branch: "development"},
				"prod":    {Name: "prod", Branch: "main"},
			},
			ControlPlanes: map[string]model.ControlPlane{
				"cp-a": {Name: "cp-a", Environments: []string{"staging", "dev"}},
				"cp-b": {Name: "cp-b", Environments: []string{"prod"}},
			},
		},
		Bundles: map[string]*model.Bundle{
			"base": {Name: "base", Apps: map[string]*model.App{
				"web": {Name: "web", Category: "net", Namespace: "web", ReleaseName: "web", SyncWave: 2, Bundle: "base", ArgoCD: argocd},
			}},
			"extra": {Name: "extra", Apps: map[string]*model.App{
				"cache": {Name: "cache", Category: "data", Namespace: "cache", ReleaseName: "redis", Bundle: "extra", ArgoCD: argocd},
			}},
		},
		Clusters: clusters,
	}
}

func cluster(name, env string, bundles ...string) *model.Cluster {
	labels := map[string]string{"env": env}
	for _, b := range bundles {
		labels[b] = "enabled"
	}
	return &model.Cluster{
		Name: name, Env: env, VSphereNamespace: "ns-" + name, Server: "https://" + name + ":6443",
		Bundles: bundles, Labels: labels,
	}
}

// paths lists the files' paths.
func paths(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

// fileData returns the data of the file at path, failing t if missing.
func fileData(t *testing.T, files []File, path string) []byte {
	t.Helper()
	for _, f := range files {
		if f.Path == path {
			return f.Data
		}
	}
	t.Fatalf("no file %s among %v", path, paths(files))
	return nil
}

// equalYAML compares a rendered file with the YAML it should hold, as data.
func equalYAML(t *testing.T, got []byte, want string) {
	t.Helper()
	if !bytes.HasPrefix(got, []byte(Header)) {
		t.Errorf("no generated header:\n%s", got)
	}
	var g, w any
	if err := yaml.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.TrimSpace(want))
	}
}

func TestAllIsSortedAndDeterministic(t *testing.T) {
	p := testPlatform(cluster("a1", "dev", "base", "extra"), cluster("p1", "prod", "base"))
	first, err := All(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(first, func(a, b File) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("files not sorted by path: %v", paths(first))
	}
	for range 5 {
		again, err := All(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, again) {
			t.Fatal("two renders of one platform differ")
		}
	}
}

// TestNamesNeverBecomeBadPaths renders platforms whose names a loosened
// schema let through, each name in each place it becomes a path element:
// render refuses them, naming the name, and returns no file.
func TestNamesNeverBecomeBadPaths(t *testing.T) {
	for _, bad := range []string{"../up", "a/b", "..", ".git", "Upper", "", "-x", "x-", strings.Repeat("a", 64), "a\x00b", "é"} {
		for _, tc := range []struct {
			where string
			spoil func(p *model.Platform)
		}{
			{"cluster name", func(p *model.Platform) { p.Clusters[0].Name = bad }},
			{"vsphereNamespace", func(p *model.Platform) { p.Clusters[0].VSphereNamespace = bad }},
			{"app name", func(p *model.Platform) { p.Bundles["base"].Apps["web"].Name = bad }},
			{"app category", func(p *model.Platform) { p.Bundles["base"].Apps["web"].Category = bad }},
			{"control plane name", func(p *model.Platform) {
				cp := p.Defaults.ControlPlanes["cp-a"]
				cp.Name = bad
				p.Defaults.ControlPlanes["cp-a"] = cp
			}},
		} {
			p := testPlatform(cluster("a1", "dev", "base"))
			tc.spoil(p)
			files, err := All(p)
			if err == nil {
				t.Errorf("%s %q: rendered %v", tc.where, bad, paths(files))
				continue
			}
			if want := fmt.Sprintf("%s %q is not a DNS-1123 label", tc.where, bad); !strings.Contains(err.Error(), want) {
				t.Errorf("%s %q: error %q, want it to say %q", tc.where, bad, err, want)
			}
		}
	}
}
