package preview

import (
	"reflect"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/render"
)

const secretDev = `apiVersion: v1
kind: Secret
metadata:
  name: cluster-d1
  namespace: argocd
  labels: {argocd.argoproj.io/secret-type: cluster, env: dev, web: enabled}
stringData: {name: d1, server: 'https://d1:6443'}
`

// secretData is registered with base64 data, as "argocd cluster add" does.
const secretData = `apiVersion: v1
kind: Secret
metadata:
  name: cluster-d2
  namespace: argocd
  labels: {argocd.argoproj.io/secret-type: cluster, env: dev}
data: {name: ZDI=, server: aHR0cHM6Ly9kMjo2NDQz}
`

const appSetWeb = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web, namespace: argocd}
spec:
  generators:
  - clusters:
      selector: {matchLabels: {env: dev, web: enabled}}
      values: {branch: development}
  template:
    metadata: {name: '{{name}}-web'}
    spec:
      project: bootstrap
      destination: {server: '{{server}}', namespace: web}
      sources:
      - {repoURL: 'git@git.example:values.git', targetRevision: main, ref: valuesRepo}
      - repoURL: git@git.example:catalog.git
        targetRevision: '{{values.branch}}'
        path: ./net/web
        helm:
          releaseName: web
          valueFiles: [values.yaml, '$valuesRepo/cluster/{{name}}/net/web/values.yaml']
`

func files(docs map[string]string) []render.File {
	var out []render.File
	for p, d := range docs {
		out = append(out, render.File{Path: p, Data: []byte(d)})
	}
	return out
}

func summary(apps []Application) []string {
	var out []string
	for _, a := range apps {
		out = append(out, strings.Join([]string{a.ControlPlane, a.Cluster, a.Name, a.Server, a.Namespace, a.ChartPath, a.Revision, strings.Join(a.ValueFiles, ",")}, " "))
	}
	return out
}

func TestApplications(t *testing.T) {
	tests := []struct {
		name    string
		docs    map[string]string
		want    []string
		wantErr string
	}{{
		name: "the generator selects the clusters whose labels match, and templates them",
		docs: map[string]string{
			"argocd/cp/clusters/d1.yaml":         secretDev,
			"argocd/cp/clusters/d2.yaml":         secretData,
			"argocd/cp/applicationsets/web.yaml": appSetWeb,
		},
		want: []string{"cp d1 d1-web https://d1:6443 web ./net/web development values.yaml,$valuesRepo/cluster/d1/net/web/values.yaml"},
	}, {
		name: "each control plane sees only its own clusters",
		docs: map[string]string{
			"argocd/cp/applicationsets/web.yaml":  appSetWeb,
			"argocd/other/clusters/d1.yaml":       secretDev,
			"argocd/other/applicationsets/x.yaml": strings.Replace(appSetWeb, "web: enabled", "nothing: enabled", 1),
			"cluster/d1/net/web/values.yaml":      "not read",
			"tanzu/ns/d1.yaml":                    "not read",
		},
		want: nil,
	}, {
		name: "base64 data is read like stringData; an empty selector adds the in-cluster cluster",
		docs: map[string]string{
			"argocd/cp/clusters/d2.yaml": secretData,
			"argocd/cp/applicationsets/all.yaml": strings.Replace(appSetWeb,
				"selector: {matchLabels: {env: dev, web: enabled}}", "selector: {}", 1),
		},
		want: []string{
			"cp d2 d2-web https://d2:6443 web ./net/web development values.yaml,$valuesRepo/cluster/d2/net/web/values.yaml",
			"cp in-cluster in-cluster-web https://kubernetes.default.svc web ./net/web development values.yaml,$valuesRepo/cluster/in-cluster/net/web/values.yaml",
		},
	}, {
		name: "two ApplicationSets making one name",
		docs: map[string]string{
			"argocd/cp/clusters/d1.yaml":          secretDev,
			"argocd/cp/applicationsets/web.yaml":  appSetWeb,
			"argocd/cp/applicationsets/web2.yaml": strings.Replace(appSetWeb, "name: web, namespace", "name: web2, namespace", 1),
		},
		wantErr: `application "d1-web" is generated twice, by applicationset "web" generator 0 and by applicationset "web2" generator 0`,
	}, {
		name: "an unresolved parameter",
		docs: map[string]string{
			"argocd/cp/clusters/d1.yaml":         secretDev,
			"argocd/cp/applicationsets/web.yaml": strings.Replace(appSetWeb, "{{values.branch}}", "{{values.brnch}}", 1),
		},
		wantErr: `cluster "d1": the template keeps the unresolved parameter {{values.brnch}}`,
	}, {
		name: "goTemplate is refused, not guessed",
		docs: map[string]string{
			"argocd/cp/applicationsets/web.yaml": strings.Replace(appSetWeb, "spec:\n  generators:", "spec:\n  goTemplate: true\n  generators:", 1),
		},
		wantErr: `goTemplate is not supported`,
	}, {
		name: "other generators are refused",
		docs: map[string]string{
			"argocd/cp/applicationsets/web.yaml": strings.Replace(appSetWeb, "  - clusters:\n", "  - list: {elements: []}\n    clusters:\n", 1),
		},
		wantErr: `only a cluster generator without a post selector is supported, got clusters, list`,
	}, {
		name: "ArgoCD does not read another namespace",
		docs: map[string]string{
			"argocd/cp/clusters/d1.yaml": strings.Replace(secretDev, "namespace: argocd", "namespace: default", 1),
		},
		wantErr: `Secret "cluster-d1" is in namespace "default"; ArgoCD reads its own namespace "argocd"`,
	}, {
		name: "a Secret that is not a cluster secret",
		docs: map[string]string{
			"argocd/cp/clusters/d1.yaml": strings.Replace(secretDev, "argocd.argoproj.io/secret-type: cluster", "argocd.argoproj.io/secret-type: repository", 1),
		},
		wantErr: `secret "cluster-d1" is not labelled argocd.argoproj.io/secret-type=cluster`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cps, err := Read(files(tt.docs), "argocd")
			var apps []Application
			if err == nil {
				apps, err = Applications(cps)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(apps); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("applications\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestApplicationManifest(t *testing.T) {
	cps, err := Read(files(map[string]string{
		"argocd/cp/clusters/d1.yaml":         secretDev,
		"argocd/cp/applicationsets/web.yaml": appSetWeb,
	}), "argocd")
	if err != nil {
		t.Fatal(err)
	}
	apps, err := Applications(cps)
	if err != nil || len(apps) != 1 {
		t.Fatalf("apps %v, err %v", apps, err)
	}
	m := apps[0].Manifest
	if m["kind"] != "Application" || m["apiVersion"] != "argoproj.io/v1alpha1" {
		t.Errorf("manifest is a %v %v", m["apiVersion"], m["kind"])
	}
	meta := m["metadata"].(map[string]any)
	if meta["name"] != "d1-web" || meta["namespace"] != "argocd" {
		t.Errorf("metadata %v: want the templated name in the ApplicationSet's namespace", meta)
	}
	vf, err := apps[0].ResolveValueFiles()
	if err != nil {
		t.Fatal(err)
	}
	want := []ValueFile{
		{RepoURL: "git@git.example:catalog.git", Revision: "development", Path: "net/web/values.yaml"},
		{RepoURL: "git@git.example:values.git", Revision: "main", Path: "cluster/d1/net/web/values.yaml"},
	}
	if !reflect.DeepEqual(vf, want) {
		t.Errorf("value files %+v, want %+v", vf, want)
	}
}
