package render

import (
	"reflect"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

func TestTanzuClusters(t *testing.T) {
	bare := cluster("d1", "dev", "base")
	bare.Annotations = map[string]string{"run.tanzu.vmware.com/resolve-os-image": "os-name=ubuntu"}
	bare.ControlPlane = model.ControlPlaneNodes{Replicas: 1, VMClass: "small", StorageClass: "std", TKR: "v1.30.1"}

	pooled := cluster("p1", "prod", "base")
	pooled.Labels["tier"] = "critical"
	pooled.Annotations = map[string]string{"run.tanzu.vmware.com/resolve-os-image": "os-name=photon", "owner": "edge"}
	pooled.ControlPlane = model.ControlPlaneNodes{Replicas: 3, VMClass: "large", StorageClass: "gold", TKR: "v1.29.4"}
	pooled.NodePools = map[string]*model.NodePool{
		"workers": {Name: "workers", Replicas: 6, VMClass: "xlarge", StorageClass: "gold", TKR: "v1.29.4",
			Volumes: map[string]int{"kubelet": 32, "containerd": 64}},
		"platform": {Name: "platform", Replicas: 0, VMClass: "large", StorageClass: "gold", TKR: "v1.30.1",
			Labels: map[string]string{"nodetype": "platform"},
			Taints: []model.Taint{{Key: "nodetype", Value: "platform", Effect: "NoSchedule"}, {Key: "gpu", Effect: "NoExecute"}}},
	}
	tests := []struct {
		name    string
		cluster *model.Cluster
		file    string
		want    string
	}{{
		name:    "no node pools: the list the CRD requires is there, empty",
		cluster: bare,
		file:    "tanzu/ns-d1/d1.yaml",
		want: `
apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata:
  name: d1
  namespace: ns-d1
  labels: {env: dev, base: enabled}
  annotations: {run.tanzu.vmware.com/resolve-os-image: os-name=ubuntu}
spec:
  topology:
    controlPlane:
      replicas: 1
      vmClass: small
      storageClass: std
      tkr: {reference: {name: v1.30.1}}
    nodePools: []
`,
	}, {
		name:    "pools sorted by name, volumes by name at /var/lib/<name>, labels and taints kept",
		cluster: pooled,
		file:    "tanzu/ns-p1/p1.yaml",
		want: `
apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata:
  name: p1
  namespace: ns-p1
  labels: {env: prod, base: enabled, tier: critical}
  annotations: {run.tanzu.vmware.com/resolve-os-image: os-name=photon, owner: edge}
spec:
  topology:
    controlPlane:
      replicas: 3
      vmClass: large
      storageClass: gold
      tkr: {reference: {name: v1.29.4}}
    nodePools:
    - name: platform
      replicas: 0
      vmClass: large
      storageClass: gold
      tkr: {reference: {name: v1.30.1}}
      labels: {nodetype: platform}
      taints:
      - {key: nodetype, value: platform, effect: NoSchedule}
      - {key: gpu, effect: NoExecute}
    - name: workers
      replicas: 6
      vmClass: xlarge
      storageClass: gold
      tkr: {reference: {name: v1.29.4}}
      volumes:
      - name: containerd
        mountPath: /var/lib/containerd
        capacity: {storage: 64Gi}
      - name: kubelet
        mountPath: /var/lib/kubelet
        capacity: {storage: 32Gi}
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := TanzuClusters(testPlatform(tt.cluster))
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
