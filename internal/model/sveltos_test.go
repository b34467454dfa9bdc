package model_test

import (
	"testing"

	"github.com/platformc/platformc/internal/model"
)

func TestFluxURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://git.corp.local/mirror/catalog.git":                "https://git.corp.local/mirror/catalog.git",
		"ssh://git@git.corp.local:2222/mirror/catalog.git":         "ssh://git@git.corp.local:2222/mirror/catalog.git",
		"git@github.com:org/catalog.git":                           "ssh://git@github.com/org/catalog.git",
		"git@github.com:/org/catalog.git":                          "ssh://git@github.com/org/catalog.git",
		"git@git.corp.local:mirror/kubernetes-service-catalog.git": "ssh://git@git.corp.local/mirror/kubernetes-service-catalog.git",
		"deploy@git.corp.local:mirror/catalog.git":                 "ssh://deploy@git.corp.local/mirror/catalog.git",
		"git@host:a:b/c": "ssh://git@host/a:b/c",
	} {
		if got := model.FluxURL(in); got != want {
			t.Errorf("FluxURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSourceName(t *testing.T) {
	d := model.Defaults{CatalogRepo: model.CatalogRepo{URL: "git@git/catalog.git"}, Sveltos: model.Sveltos{Flux: model.Flux{Name: "catalog"}}}
	for branch, want := range map[string]string{
		"main":          "catalog-main",
		"development":   "catalog-development",
		"release/1.2":   "catalog-release-1-2",
		"Feature__X--y": "catalog-feature-x-y",
		"v1.0_":         "catalog-v1-0",
		"___":           "catalog",
	} {
		if got := d.SourceName(d.CatalogRepo.URL, branch); got != want {
			t.Errorf("SourceName(catalog, %q) = %q, want %q", branch, got, want)
		}
	}
	// Another repo at the same branch gets another name: the first 8 hex
	// digits of its URL's SHA-256.
	if got := d.SourceName("https://git/other.git", "main"); got == "catalog-main" || len(got) != len("catalog-main-")+8 {
		t.Errorf("SourceName(other, main) = %q", got)
	}
}

func TestEngine(t *testing.T) {
	// "" is a schema older than the engine field: ArgoCD.
	for engine, want := range map[string]string{"": "argocd", "argocd": "argocd", "sveltos": "sveltos"} {
		cp := model.ControlPlane{Engine: engine}
		if cp.Sveltos() != (want == "sveltos") {
			t.Errorf("engine %q: Sveltos %v", engine, cp.Sveltos())
		}
	}
}
