package render

import (
	"bytes"
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
		CatalogRepo: model.CatalogRepo{URL: "git@git.example/catalog.git"},
	}
	return &model.Platform{
		Defaults: model.Defaults{
			ValuesRepo:  model.ValuesRepo{URL: "git@git.example/values.git", Revision: "main"},
			CatalogRepo: model.CatalogRepo{URL: "git@git.example/catalog.git"},
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
