package render

import (
	"reflect"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

func TestRegistrations(t *testing.T) {
	withTeam := cluster("s1", "staging", "base", "extra")
	withTeam.Labels["team"] = "blue"
	tests := []struct {
		name    string
		cluster *model.Cluster
		file    string
		want    string
	}{{
		name:    "on the control plane of the cluster's env, with every label of the cluster",
		cluster: withTeam,
		file:    "argocd/cp-a/clusters/s1.yaml",
		want: `
apiVersion: v1
kind: Secret
type: Opaque
metadata:
  name: cluster-s1
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
    env: staging
    base: enabled
    extra: enabled
    team: blue
stringData:
  name: s1
  server: https://s1:6443
`,
	}, {
		name:    "no credentials: the config key is supplied at apply time",
		cluster: cluster("p1", "prod", "base"),
		file:    "argocd/cp-b/clusters/p1.yaml",
		want: `
apiVersion: v1
kind: Secret
type: Opaque
metadata:
  name: cluster-p1
  namespace: argocd
  labels: {argocd.argoproj.io/secret-type: cluster, env: prod, base: enabled}
stringData: {name: p1, server: 'https://p1:6443'}
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := Registrations(testPlatform(tt.cluster))
			if err != nil {
				t.Fatal(err)
			}
			if got := paths(files); !reflect.DeepEqual(got, []string{tt.file}) {
				t.Fatalf("files %v, want [%s]", got, tt.file)
			}
			equalYAML(t, files[0].Data, tt.want)
		})
	}
}

func TestRegistrationLeavesTheModelAlone(t *testing.T) {
	c := cluster("d1", "dev", "base")
	if _, err := Registrations(testPlatform(c)); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Labels[SecretTypeLabel]; ok {
		t.Errorf("the secret-type label leaked into the cluster's labels (the TKC would carry it)")
	}
}

func TestRegistrationWithoutControlPlane(t *testing.T) {
	p := testPlatform(cluster("q1", "qa", "base"))
	if _, err := Registrations(p); err == nil {
		t.Fatal("a cluster whose env no control plane manages was registered")
	}
}
