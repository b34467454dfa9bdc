package preview

import (
	"maps"
	"reflect"
	"strings"
	"testing"
)

// A Sveltos control plane "cp" as platformc writes one: clusters a (base
// and extra enabled) and b (extra only, which requires base), a profile per
// bundle, the catalog's GitRepository, the values ConfigMaps of a.
var sveltosFiles = map[string]string{
	"sveltos/cp/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [clusters/a.yaml]
`,
	"sveltos/cp/clusters/a.yaml": `apiVersion: lib.projectsveltos.io/v1beta1
kind: SveltosCluster
metadata: {name: a, namespace: fleet, labels: {env: dev, base: enabled, extra: enabled, team: web}}
spec: {kubeconfigKeyName: kubeconfig}
`,
	"sveltos/cp/clusters/b.yaml": `apiVersion: lib.projectsveltos.io/v1beta1
kind: SveltosCluster
metadata: {name: b, namespace: fleet, labels: {env: prod, extra: enabled}}
spec: {kubeconfigKeyName: kubeconfig}
`,
	"sveltos/cp/profiles/base-dev.yaml": `apiVersion: config.projectsveltos.io/v1beta1
kind: ClusterProfile
metadata: {name: base-dev}
spec:
  clusterSelector: {matchLabels: {env: dev, base: enabled}}
  syncMode: Continuous
  helmCharts:
  - repositoryURL: gitrepository://flux-system/catalog-main/net/web
    releaseName: web
    releaseNamespace: web
    helmChartAction: Install
    valuesFrom: [{kind: ConfigMap, namespace: fleet, name: '{{ .ClusterName }}-web'}]
`,
	"sveltos/cp/profiles/extra-dev.yaml": `apiVersion: config.projectsveltos.io/v1beta1
kind: ClusterProfile
metadata: {name: extra-dev}
spec:
  clusterSelector: {matchLabels: {env: dev, extra: enabled}}
  dependsOn: [base-dev]
  helmCharts:
  - repositoryURL: gitrepository://flux-system/catalog-main/data/cache
    releaseName: redis
    releaseNamespace: cache
    valuesFrom: [{kind: ConfigMap, name: '{{ .ClusterName }}-cache'}]
`,
	"sveltos/cp/sources/catalog-main.yaml": `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: catalog-main, namespace: flux-system}
spec: {interval: 5m, url: 'ssh://git@git.example/catalog.git', ref: {branch: main}}
`,
	"sveltos/cp/values/a/net/web.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: a-web, namespace: fleet}
data: {values.yaml: "web: {replicas: 2}\n"}
`,
	"sveltos/cp/values/a/data/cache.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: a-cache, namespace: fleet}
data: {values.yaml: "redis: {}\n", a-first.yaml: "first: 1\n"}
`,
}

// withFiles returns sveltosFiles with changes: a document by path, or ""
// to remove it.
func withFiles(changes map[string]string) map[string]string {
	out := maps.Clone(sveltosFiles)
	for p, d := range changes {
		if d == "" {
			delete(out, p)
			continue
		}
		out[p] = d
	}
	return out
}

func releases(t *testing.T, docs map[string]string) ([]SveltosRelease, error) {
	t.Helper()
	cps, err := ReadSveltos(files(docs))
	if err != nil {
		return nil, err
	}
	return Releases(cps)
}

func TestSveltosReleases(t *testing.T) {
	got, err := releases(t, sveltosFiles)
	if err != nil {
		t.Fatal(err)
	}
	want := []SveltosRelease{{
		Cluster: "a", ControlPlane: "cp", ClusterProfile: "extra-dev", HelmChart: 0,
		Namespace: "cache", Release: "redis", ChartPath: "./data/cache", Revision: "main",
		RepoURL: "ssh://git@git.example/catalog.git", RepositoryURL: "gitrepository://flux-system/catalog-main/data/cache",
		Source: "flux-system/catalog-main",
		// An empty namespace is the cluster's.
		ValuesFrom: []ValueFrom{{Kind: "ConfigMap", Namespace: "fleet", Name: "a-cache"}},
		// Every key, in sorted order.
		Values:     [][]byte{[]byte("first: 1\n"), []byte("redis: {}\n")},
		SelectedBy: "clusterSelector", SyncMode: "Continuous",
	}, {
		Cluster: "a", ControlPlane: "cp", ClusterProfile: "base-dev", HelmChart: 0,
		Namespace: "web", Release: "web", ChartPath: "./net/web", Revision: "main",
		RepoURL: "ssh://git@git.example/catalog.git", RepositoryURL: "gitrepository://flux-system/catalog-main/net/web",
		Source:     "flux-system/catalog-main",
		ValuesFrom: []ValueFrom{{Kind: "ConfigMap", Namespace: "fleet", Name: "a-web"}},
		Values:     [][]byte{[]byte("web: {replicas: 2}\n")},
		SelectedBy: "clusterSelector", SyncMode: "Continuous",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("releases:\n got %+v\nwant %+v", got, want)
	}
}

// A profile that another depends on deploys to the clusters the other
// matches, as Sveltos' --auto-deploy-dependencies does: b, in env dev and
// enabling extra only, gets base-dev's chart too.
func TestSveltosDependsOnDeploysThePrerequisite(t *testing.T) {
	got, err := releases(t, withFiles(map[string]string{
		"sveltos/cp/clusters/b.yaml": strings.Replace(sveltosFiles["sveltos/cp/clusters/b.yaml"], "env: prod", "env: dev", 1),
		"sveltos/cp/values/b/net/web.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: b-web, namespace: fleet}
data: {values.yaml: "{}\n"}
`,
		"sveltos/cp/values/b/data/cache.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: b-cache, namespace: fleet}
data: {values.yaml: "{}\n"}
`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	var onB []string
	for _, r := range got {
		if r.Cluster == "b" {
			onB = append(onB, r.ClusterProfile+": "+r.SelectedBy)
		}
	}
	want := []string{"extra-dev: clusterSelector", "base-dev: dependsOn of extra-dev"}
	if !reflect.DeepEqual(onB, want) {
		t.Errorf("on b: %q, want %q", onB, want)
	}
}

func TestSveltosSelection(t *testing.T) {
	for _, tt := range []struct {
		name     string
		selector string
		want     []string // clusters base-dev deploys to
	}{
		{"matchLabels", `{matchLabels: {env: dev, base: enabled}}`, []string{"a"}},
		{"empty selector matches none", `{}`, nil},
		{"In", `{matchExpressions: [{key: env, operator: In, values: [dev, prod]}]}`, []string{"a", "b"}},
		{"NotIn matches a missing key", `{matchExpressions: [{key: base, operator: NotIn, values: [enabled]}]}`, []string{"b"}},
		{"Exists", `{matchExpressions: [{key: team, operator: Exists}]}`, []string{"a"}},
		{"DoesNotExist", `{matchExpressions: [{key: team, operator: DoesNotExist}]}`, []string{"b"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			docs := withFiles(map[string]string{
				"sveltos/cp/profiles/base-dev.yaml": strings.Replace(sveltosFiles["sveltos/cp/profiles/base-dev.yaml"],
					"{matchLabels: {env: dev, base: enabled}}", tt.selector, 1),
				"sveltos/cp/profiles/extra-dev.yaml": "",
			})
			cps, err := ReadSveltos(files(docs))
			if err != nil {
				t.Fatal(err)
			}
			matching, _, err := cps[0].Matching()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range matching["base-dev"] {
				got = append(got, c.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("base-dev deploys to %v, want %v", got, tt.want)
			}
		})
	}
}

// What Sveltos would fail on, or the preview cannot know, is an error
// naming the file, the profile, the chart and the cluster.
func TestSveltosErrors(t *testing.T) {
	profile := sveltosFiles["sveltos/cp/profiles/base-dev.yaml"]
	for _, tt := range []struct {
		name    string
		changes map[string]string
		want    string
	}{{
		name:    "unknown template key in a map",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": strings.Replace(profile, "{{ .ClusterName }}-web", "{{ .Cluster.metadata.labels.tier }}-web", 1)},
		want:    `sveltos/cp/profiles/base-dev.yaml: clusterprofile "base-dev": helmCharts[0]: cluster "a": valuesFrom[0]: name "{{ .Cluster.metadata.labels.tier }}-web": template: fleet-a:1:11: executing "fleet-a" at <.Cluster.metadata.labels.tier>: map has no entry for key "tier"`,
	}, {
		name:    "unknown template field",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": strings.Replace(profile, "{{ .ClusterName }}-web", "{{ .Name }}-web", 1)},
		want:    `can't evaluate field Name`,
	}, {
		name:    "function Sveltos adds but the preview does not know",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": strings.Replace(profile, "{{ .ClusterName }}-web", "{{ lower .ClusterName }}-web", 1)},
		want:    `function "lower" not defined`,
	}, {
		name:    "missing ConfigMap",
		changes: map[string]string{"sveltos/cp/values/a/net/web.yaml": ""},
		want:    `sveltos/cp/profiles/base-dev.yaml: clusterprofile "base-dev": helmCharts[0]: cluster "a": valuesFrom[0]: ConfigMap fleet/a-web does not exist`,
	}, {
		name:    "two profiles install one release",
		changes: map[string]string{"sveltos/cp/profiles/web-again.yaml": strings.Replace(profile, "name: base-dev", "name: web-again", 1)},
		want:    `control plane "cp": cluster "a": release web/web is installed by clusterprofile "base-dev" helmCharts[0] and by clusterprofile "web-again" helmCharts[0]; Sveltos deploys one of them and reports a conflict for the other`,
	}, {
		name:    "dependsOn a profile that does not exist",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": ""},
		want:    `sveltos/cp/profiles/extra-dev.yaml: clusterprofile "extra-dev" dependsOn "base-dev", which is not a ClusterProfile of control plane "cp": Sveltos would wait for it forever`,
	}, {
		name:    "dependsOn cycle",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": strings.Replace(profile, "  syncMode:", "  dependsOn: [extra-dev]\n  syncMode:", 1)},
		want:    `control plane "cp": the ClusterProfiles "base-dev" → "extra-dev" → "base-dev" depend on each other`,
	}, {
		name:    "missing GitRepository",
		changes: map[string]string{"sveltos/cp/sources/catalog-main.yaml": ""},
		want:    `repositoryURL "gitrepository://flux-system/catalog-main/net/web": GitRepository flux-system/catalog-main does not exist`,
	}, {
		name:    "a field the preview does not model",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": profile + "  policyRefs: [{kind: ConfigMap, name: x}]\n"},
		want:    `clusterprofile "base-dev": error unmarshaling JSON: while decoding JSON: json: unknown field "policyRefs" (not supported by the preview)`,
	}, {
		name:    "a chart from a Helm repository",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": strings.Replace(profile, "gitrepository://flux-system/catalog-main/net/web", "https://charts.example", 1)},
		want:    `only Flux GitRepository sources`,
	}, {
		name:    "a templated values ConfigMap",
		changes: map[string]string{"sveltos/cp/values/a/net/web.yaml": strings.Replace(sveltosFiles["sveltos/cp/values/a/net/web.yaml"], "namespace: fleet}", "namespace: fleet, annotations: {projectsveltos.io/template: ok}}", 1)},
		want:    `is a template (projectsveltos.io/template), which the preview does not instantiate`,
	}, {
		name:    "two ConfigMaps of one name",
		changes: map[string]string{"sveltos/cp/values/a/net/web2.yaml": sveltosFiles["sveltos/cp/values/a/net/web.yaml"]},
		want:    `control plane "cp": ConfigMap fleet/a-web is written twice, in sveltos/cp/values/a/net/web.yaml and sveltos/cp/values/a/net/web2.yaml`,
	}, {
		name:    "a namespaced ClusterProfile",
		changes: map[string]string{"sveltos/cp/profiles/base-dev.yaml": strings.Replace(profile, "{name: base-dev}", "{name: base-dev, namespace: x}", 1)},
		want:    `clusterprofile "base-dev" has namespace "x": a ClusterProfile is cluster-scoped`,
	}} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := releases(t, withFiles(tt.changes))
			if err == nil {
				t.Fatalf("no error, want %s", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%v\nwant it to contain\n%s", err, tt.want)
			}
		})
	}
}

// An optional reference to a ConfigMap that does not exist is skipped.
func TestSveltosOptionalValues(t *testing.T) {
	profile := strings.Replace(sveltosFiles["sveltos/cp/profiles/base-dev.yaml"], "name: '{{ .ClusterName }}-web'}", "name: '{{ .ClusterName }}-web', optional: true}", 1)
	got, err := releases(t, withFiles(map[string]string{
		"sveltos/cp/profiles/base-dev.yaml": profile,
		"sveltos/cp/values/a/net/web.yaml":  "",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		if r.Release == "web" && (len(r.ValuesFrom) != 0 || r.Values != nil) {
			t.Errorf("web reads %v", r.ValuesFrom)
		}
	}
}

// The references are rendered as libsveltos renders them: .Cluster is the
// SveltosCluster as written, and html/template escapes what it inserts.
func TestSveltosRender(t *testing.T) {
	cps, err := ReadSveltos(files(sveltosFiles))
	if err != nil {
		t.Fatal(err)
	}
	a := cps[0].Clusters[0]
	for raw, want := range map[string]string{
		"{{ .ClusterName }}-web":                     "a-web",
		"{{ .ClusterNamespace }}":                    "fleet",
		"{{ .Cluster.metadata.labels.team }}-values": "web-values",
		"{{ .Cluster.spec.kubeconfigKeyName }}":      "kubeconfig",
		"{{ \"<b>\" }}":                              "&lt;b&gt;",
		"plain":                                      "plain",
	} {
		got, err := a.Render(raw)
		if err != nil || got != want {
			t.Errorf("Render(%q) = %q, %v; want %q", raw, got, err, want)
		}
	}
	if ns, err := a.RenderNamespace(""); ns != "fleet" || err != nil {
		t.Errorf(`RenderNamespace("") = %q, %v; want the cluster's namespace`, ns, err)
	}
}
