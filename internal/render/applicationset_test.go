package render

import (
	"reflect"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

func TestApplicationSetFiles(t *testing.T) {
	tests := []struct {
		name     string
		clusters []*model.Cluster
		want     []string
	}{{
		name:     "each control plane gets the apps its clusters enable",
		clusters: []*model.Cluster{cluster("a1", "dev", "base", "extra"), cluster("p1", "prod", "base")},
		want: []string{
			"argocd/cp-a/applicationsets/cache.yaml",
			"argocd/cp-a/applicationsets/web.yaml",
			"argocd/cp-b/applicationsets/web.yaml",
		},
	}, {
		// cp-b has clusters, but none enables extra: no ApplicationSet for cache there.
		name:     "a bundle enabled on no cluster of a control plane has no ApplicationSet there",
		clusters: []*model.Cluster{cluster("a1", "dev", "base"), cluster("p1", "prod", "base")},
		want: []string{
			"argocd/cp-a/applicationsets/web.yaml",
			"argocd/cp-b/applicationsets/web.yaml",
		},
	}, {
		name:     "a control plane without clusters has none",
		clusters: []*model.Cluster{cluster("s1", "staging", "base")},
		want:     []string{"argocd/cp-a/applicationsets/web.yaml"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := ApplicationSets(testPlatform(tt.clusters...))
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(files); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("files %v, want %v", got, tt.want)
			}
		})
	}
}

func TestApplicationSetShape(t *testing.T) {
	tests := []struct {
		name     string
		clusters []*model.Cluster
		edit     func(*model.Platform)
		file     string
		want     string
	}{{
		name: "one generator per environment that enables the bundle, in the control plane's order",
		clusters: []*model.Cluster{
			cluster("d1", "dev", "base"), cluster("d2", "dev", "base"), cluster("s1", "staging", "base"),
		},
		file: "argocd/cp-a/applicationsets/web.yaml",
		want: `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
  - clusters:
      selector: {matchLabels: {env: staging, base: enabled}}
      values: {branch: development}
  - clusters:
      selector: {matchLabels: {env: dev, base: enabled}}
      values: {branch: development}
  template:
    metadata:
      name: '{{name}}-web'
      annotations: {argocd.argoproj.io/sync-wave: "2"}
    spec:
      project: bootstrap
      destination: {server: '{{server}}', namespace: web}
      sources:
      - repoURL: git@git.example:values.git
        targetRevision: main
        ref: valuesRepo
      - repoURL: git@git.example:catalog.git
        targetRevision: '{{values.branch}}'
        path: ./net/web
        helm:
          releaseName: web
          valueFiles: [values.yaml, '$valuesRepo/cluster/{{name}}/net/web/values.yaml']
      syncPolicy:
        automated: {prune: true, selfHeal: true}
        syncOptions: [CreateNamespace=true]
`,
	}, {
		name:     "an environment without the bundle gets no generator",
		clusters: []*model.Cluster{cluster("d1", "dev", "base", "extra"), cluster("s1", "staging", "base")},
		file:     "argocd/cp-a/applicationsets/cache.yaml",
		want: `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: cache, namespace: argocd}
spec:
  generators:
  - clusters:
      selector: {matchLabels: {env: dev, extra: enabled}}
      values: {branch: development}
  template:
    metadata:
      name: '{{name}}-cache'
      annotations: {argocd.argoproj.io/sync-wave: "0"}
    spec:
      project: bootstrap
      destination: {server: '{{server}}', namespace: cache}
      sources:
      - {repoURL: git@git.example:values.git, targetRevision: main, ref: valuesRepo}
      - repoURL: git@git.example:catalog.git
        targetRevision: '{{values.branch}}'
        path: ./data/cache
        helm:
          releaseName: redis
          valueFiles: [values.yaml, '$valuesRepo/cluster/{{name}}/data/cache/values.yaml']
      syncPolicy:
        automated: {prune: true, selfHeal: true}
        syncOptions: [CreateNamespace=true]
`,
	}, {
		name:     "per-app overrides: project, catalog repo, manual sync without CreateNamespace",
		clusters: []*model.Cluster{cluster("p1", "prod", "base")},
		edit: func(p *model.Platform) {
			web := p.Bundles["base"].Apps["web"]
			web.ArgoCD.Project = "edge"
			web.ArgoCD.CatalogRepo.URL = "https://git.example/other-catalog.git"
			web.ArgoCD.SyncPolicy = model.SyncPolicy{}
			web.SyncWave = 0
		},
		file: "argocd/cp-b/applicationsets/web.yaml",
		want: `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
  - clusters:
      selector: {matchLabels: {env: prod, base: enabled}}
      values: {branch: main}
  template:
    metadata:
      name: '{{name}}-web'
      annotations: {argocd.argoproj.io/sync-wave: "0"}
    spec:
      project: edge
      destination: {server: '{{server}}', namespace: web}
      sources:
      - {repoURL: git@git.example:values.git, targetRevision: main, ref: valuesRepo}
      - repoURL: https://git.example/other-catalog.git
        targetRevision: '{{values.branch}}'
        path: ./net/web
        helm:
          releaseName: web
          valueFiles: [values.yaml, '$valuesRepo/cluster/{{name}}/net/web/values.yaml']
`,
	}, {
		name:     "automated without pruning, no CreateNamespace",
		clusters: []*model.Cluster{cluster("p1", "prod", "base")},
		edit: func(p *model.Platform) {
			p.Bundles["base"].Apps["web"].ArgoCD.SyncPolicy = model.SyncPolicy{Automated: model.Automated{Enabled: true, SelfHeal: true}}
		},
		file: "argocd/cp-b/applicationsets/web.yaml",
		want: `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
  - clusters:
      selector: {matchLabels: {env: prod, base: enabled}}
      values: {branch: main}
  template:
    metadata:
      name: '{{name}}-web'
      annotations: {argocd.argoproj.io/sync-wave: "2"}
    spec:
      project: bootstrap
      destination: {server: '{{server}}', namespace: web}
      sources:
      - {repoURL: git@git.example:values.git, targetRevision: main, ref: valuesRepo}
      - repoURL: git@git.example:catalog.git
        targetRevision: '{{values.branch}}'
        path: ./net/web
        helm:
          releaseName: web
          valueFiles: [values.yaml, '$valuesRepo/cluster/{{name}}/net/web/values.yaml']
      syncPolicy:
        automated: {prune: false, selfHeal: true}
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testPlatform(tt.clusters...)
			if tt.edit != nil {
				tt.edit(p)
			}
			files, err := ApplicationSets(p)
			if err != nil {
				t.Fatal(err)
			}
			equalYAML(t, fileData(t, files, tt.file), tt.want)
		})
	}
}
