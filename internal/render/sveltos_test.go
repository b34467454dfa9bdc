package render

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

// sveltosPlatform is testPlatform with cp-a (dev, staging) on Sveltos and
// the Sveltos settings' defaults.
func sveltosPlatform(clusters ...*model.Cluster) *model.Platform {
	p := testPlatform(clusters...)
	cp := p.Defaults.ControlPlanes["cp-a"]
	cp.Engine = model.EngineSveltos
	p.Defaults.ControlPlanes["cp-a"] = cp
	p.Defaults.Sveltos = model.Sveltos{
		Namespace: "projectsveltos", SyncMode: "Continuous",
		Flux: model.Flux{Namespace: "flux-system", Name: "catalog", Interval: "5m"},
	}
	// extra requires base, and has a second app in an earlier wave.
	p.Bundles["extra"].Requires = []string{"base"}
	argocd := p.Bundles["extra"].Apps["cache"].ArgoCD
	p.Bundles["extra"].Apps["queue"] = &model.App{Name: "queue", Category: "data", Namespace: "queue", ReleaseName: "queue", SyncWave: -1, Bundle: "extra", ArgoCD: argocd}
	return p
}

// withValues gives the cluster values for each app of its bundles.
func withValues(p *model.Platform, c *model.Cluster) *model.Cluster {
	c.Values = map[string]map[string]any{}
	for _, b := range c.Bundles {
		for name := range p.Bundles[b].Apps {
			c.Values[name] = map[string]any{name: map[string]any{"cluster": c.Name}}
		}
	}
	return c
}

func TestSveltosLayout(t *testing.T) {
	p := sveltosPlatform()
	p.Clusters = []*model.Cluster{
		withValues(p, cluster("d1", "dev", "base", "extra")),
		withValues(p, cluster("s1", "staging", "base")),
		withValues(p, cluster("p1", "prod", "base")),
	}
	files, err := All(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"argocd/cp-b/applicationsets/web.yaml",
		"argocd/cp-b/clusters/p1.yaml",
		"argocd/cp-b/kustomization.yaml",
		"cluster/d1/data/cache/values.yaml",
		"cluster/d1/data/queue/values.yaml",
		"cluster/d1/net/web/values.yaml",
		"cluster/p1/net/web/values.yaml",
		"cluster/s1/net/web/values.yaml",
		"sveltos/cp-a/clusters/d1.yaml",
		"sveltos/cp-a/clusters/s1.yaml",
		"sveltos/cp-a/kustomization.yaml",
		"sveltos/cp-a/profiles/base-dev.yaml",
		"sveltos/cp-a/profiles/base-staging.yaml",
		"sveltos/cp-a/profiles/extra-dev.yaml",
		"sveltos/cp-a/sources/catalog-development.yaml",
		"sveltos/cp-a/values/d1/data/cache.yaml",
		"sveltos/cp-a/values/d1/data/queue.yaml",
		"sveltos/cp-a/values/d1/net/web.yaml",
		"sveltos/cp-a/values/s1/net/web.yaml",
		"tanzu/ns-d1/d1.yaml",
		"tanzu/ns-p1/p1.yaml",
		"tanzu/ns-s1/s1.yaml",
	}
	if got := paths(files); !reflect.DeepEqual(got, want) {
		t.Errorf("files:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	equalYAML(t, fileData(t, files, "sveltos/cp-a/profiles/extra-dev.yaml"), `
apiVersion: config.projectsveltos.io/v1beta1
kind: ClusterProfile
metadata: {name: extra-dev}
spec:
  clusterSelector: {matchLabels: {env: dev, extra: enabled}}
  dependsOn: [base-dev]
  syncMode: Continuous
  helmCharts:
  - repositoryURL: gitrepository://flux-system/catalog-development/data/queue
    releaseName: queue
    releaseNamespace: queue
    helmChartAction: Install
    valuesFrom: [{kind: ConfigMap, namespace: projectsveltos, name: '{{ .ClusterName }}-queue'}]
  - repositoryURL: gitrepository://flux-system/catalog-development/data/cache
    releaseName: redis
    releaseNamespace: cache
    helmChartAction: Install
    valuesFrom: [{kind: ConfigMap, namespace: projectsveltos, name: '{{ .ClusterName }}-cache'}]
`)
	equalYAML(t, fileData(t, files, "sveltos/cp-a/clusters/d1.yaml"), `
apiVersion: lib.projectsveltos.io/v1beta1
kind: SveltosCluster
metadata:
  name: d1
  namespace: projectsveltos
  labels: {env: dev, base: enabled, extra: enabled}
spec: {kubeconfigKeyName: kubeconfig}
`)
	equalYAML(t, fileData(t, files, "sveltos/cp-a/sources/catalog-development.yaml"), `
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: catalog-development, namespace: flux-system}
spec:
  interval: 5m
  url: ssh://git@git.example/catalog.git
  ref: {branch: development}
`)
	values := fileData(t, files, "cluster/d1/net/web/values.yaml")
	equalYAML(t, fileData(t, files, "sveltos/cp-a/values/d1/net/web.yaml"), fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata: {name: d1-web, namespace: projectsveltos}
data: {values.yaml: %q}
`, values))
	equalYAML(t, fileData(t, files, "sveltos/cp-a/kustomization.yaml"), `
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- clusters/d1.yaml
- clusters/s1.yaml
- profiles/base-dev.yaml
- profiles/base-staging.yaml
- profiles/extra-dev.yaml
- sources/catalog-development.yaml
- values/d1/data/cache.yaml
- values/d1/data/queue.yaml
- values/d1/net/web.yaml
- values/s1/net/web.yaml
`)
	// The ArgoCD control plane's kustomization lists no Sveltos cluster.
	if k := fileData(t, files, "argocd/cp-b/kustomization.yaml"); strings.Contains(string(k), "d1") {
		t.Errorf("cp-b's kustomization lists a Sveltos cluster:\n%s", k)
	}
}

// An app's createNamespace: false and the platform's takeOwnership become
// Helm install options; the Flux settings the GitRepository's.
func TestSveltosOptions(t *testing.T) {
	p := sveltosPlatform()
	p.Defaults.Sveltos.TakeOwnership = true
	p.Defaults.Sveltos.Flux.SecretRef = "catalog-credentials"
	p.Bundles["base"].Apps["web"].ArgoCD.SyncPolicy.CreateNamespace = false
	p.Clusters = []*model.Cluster{withValues(p, cluster("d1", "dev", "base"))}
	files, err := All(p)
	if err != nil {
		t.Fatal(err)
	}
	equalYAML(t, fileData(t, files, "sveltos/cp-a/profiles/base-dev.yaml"), `
apiVersion: config.projectsveltos.io/v1beta1
kind: ClusterProfile
metadata: {name: base-dev}
spec:
  clusterSelector: {matchLabels: {env: dev, base: enabled}}
  syncMode: Continuous
  helmCharts:
  - repositoryURL: gitrepository://flux-system/catalog-development/net/web
    releaseName: web
    releaseNamespace: web
    helmChartAction: Install
    valuesFrom: [{kind: ConfigMap, namespace: projectsveltos, name: '{{ .ClusterName }}-web'}]
    options: {installOptions: {createNamespace: false, takeOwnership: true}}
`)
	if g := fileData(t, files, "sveltos/cp-a/sources/catalog-development.yaml"); !strings.Contains(string(g), "secretRef:\n    name: catalog-credentials\n") {
		t.Errorf("no secretRef:\n%s", g)
	}
}

// An app whose chart is in another repo gets a GitRepository of its own.
func TestSveltosOtherCatalog(t *testing.T) {
	p := sveltosPlatform()
	p.Bundles["base"].Apps["web"].ArgoCD.CatalogRepo.URL = "https://git.example/other.git"
	p.Clusters = []*model.Cluster{withValues(p, cluster("d1", "dev", "base", "extra"))}
	files, err := All(p)
	if err != nil {
		t.Fatal(err)
	}
	other := p.Defaults.SourceName("https://git.example/other.git", "development")
	if !strings.HasPrefix(other, "catalog-development-") || len(other) != len("catalog-development-")+8 {
		t.Fatalf("SourceName of another repo: %q", other)
	}
	g := fileData(t, files, GitRepositoryPath("cp-a", other))
	if !strings.Contains(string(g), "url: https://git.example/other.git\n") {
		t.Errorf("%s:\n%s", other, g)
	}
	if web := fileData(t, files, "sveltos/cp-a/profiles/base-dev.yaml"); !strings.Contains(string(web), "gitrepository://flux-system/"+other+"/net/web") {
		t.Errorf("base-dev does not deploy web from %s:\n%s", other, web)
	}
	fileData(t, files, "sveltos/cp-a/sources/catalog-development.yaml")
}

func TestSveltosValuesTooLarge(t *testing.T) {
	p := sveltosPlatform()
	c := withValues(p, cluster("d1", "dev", "base"))
	c.Values["web"] = map[string]any{"blob": strings.Repeat("x", MaxConfigMapData)}
	p.Clusters = []*model.Cluster{c}
	_, err := All(p)
	if err == nil || !strings.Contains(err.Error(), `the values of app "web" on cluster "d1" are`) {
		t.Errorf("error %v, want the values too large for a ConfigMap", err)
	}
}

func TestNoRegistrationForSveltosClusters(t *testing.T) {
	p := sveltosPlatform(cluster("d1", "dev", "base"))
	if _, err := Registration(p, p.Clusters[0]); err == nil {
		t.Error("a cluster of a Sveltos control plane got an ArgoCD registration")
	}
}

// Bundle and environment names become path elements on a Sveltos control
// plane: render refuses what a loosened schema let through.
func TestSveltosNamesNeverBecomeBadPaths(t *testing.T) {
	for _, bad := range []string{"../up", "a/b", "..", "Upper", "-x"} {
		for _, tc := range []struct {
			where string
			spoil func(p *model.Platform)
		}{
			{"bundle name", func(p *model.Platform) { p.Bundles["base"].Name = bad }},
			{"environment name", func(p *model.Platform) {
				p.Clusters[0].Env = bad
				p.Defaults.Environments[bad] = model.Environment{Name: bad, Branch: "development"}
				cp := p.Defaults.ControlPlanes["cp-a"]
				cp.Environments = append(cp.Environments, bad)
				p.Defaults.ControlPlanes["cp-a"] = cp
			}},
		} {
			p := sveltosPlatform()
			p.Clusters = []*model.Cluster{withValues(p, cluster("d1", "dev", "base"))}
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

func TestSveltosValuesApp(t *testing.T) {
	for p, want := range map[string]string{
		"sveltos/cp/values/d1/net/web.yaml": "net/web",
		"sveltos/cp/values/d1/net/web":      "",
		"sveltos/cp/clusters/d1.yaml":       "",
		"sveltos/cp/profiles/a/b/c.yaml":    "",
		"cluster/d1/net/web/values.yaml":    "",
	} {
		got, ok := SveltosValuesApp(p)
		if got != want || ok != (want != "") {
			t.Errorf("SveltosValuesApp(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
	for p, want := range map[string]bool{
		"sveltos/cp/values/d1/net/web.yaml": true,
		"cluster/d1/net/web/values.yaml":    true,
		"sveltos/cp/clusters/d1.yaml":       false,
		"argocd/cp/clusters/d1.yaml":        false,
	} {
		if IsValues(p) != want {
			t.Errorf("IsValues(%q) = %v", p, !want)
		}
	}
}

// A diff edits the values document inside a ConfigMap, and only inside a
// ConfigMap exactly as render writes it.
func TestEditConfigMapValues(t *testing.T) {
	p := sveltosPlatform()
	p.Clusters = []*model.Cluster{withValues(p, cluster("d1", "dev", "base"))}
	files, err := All(p)
	if err != nil {
		t.Fatal(err)
	}
	cm := fileData(t, files, "sveltos/cp-a/values/d1/net/web.yaml")
	same, ok := EditConfigMapValues(cm, func(doc []byte) []byte { return doc })
	if !ok || string(same) != string(cm) {
		t.Fatalf("EditConfigMapValues(identity) = %v:\n%s\nwant\n%s", ok, same, cm)
	}
	edited, ok := EditConfigMapValues(cm, func(doc []byte) []byte { return []byte("hidden: yes\n") })
	if !ok || !strings.Contains(string(edited), "values.yaml: |\n    hidden: yes\n") || !strings.Contains(string(edited), "name: d1-web\n") {
		t.Errorf("edited:\n%s", edited)
	}
	for _, bad := range []string{
		strings.Replace(string(cm), "namespace: projectsveltos", "namespace: projectsveltos\n  labels: {x: y}", 1),
		string(cm) + "extra: field\n",
		"not: [yaml",
		fmt.Sprintf("%skind: ConfigMap\ndata: {a: b, c: d}\n", Header),
	} {
		if out, ok := EditConfigMapValues([]byte(bad), func(doc []byte) []byte { return nil }); ok {
			t.Errorf("edited a ConfigMap render does not write:\n%s\ninto\n%s", bad, out)
		}
	}
}
