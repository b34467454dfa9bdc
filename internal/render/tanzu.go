package render

import (
	"maps"
	"path"
	"slices"
	"strconv"

	"github.com/platformc/platformc/internal/model"
)

// TanzuDir holds the TanzuKubernetesClusters, one folder per vSphere
// namespace: tanzu/<vsphere-namespace>/<cluster>.yaml.
const TanzuDir = "tanzu"

// TKCAPIVersion is the API version of the TanzuKubernetesClusters written.
const TKCAPIVersion = "run.tanzu.vmware.com/v1alpha3"

// TanzuPath is where a cluster's TanzuKubernetesCluster is written.
func TanzuPath(vsphereNamespace, cluster string) string {
	return path.Join(TanzuDir, vsphereNamespace, cluster+".yaml")
}

// VolumeMountPath is where a node pool volume is mounted.
func VolumeMountPath(volume string) string { return path.Join("/var/lib", volume) }

// TanzuClusters renders every cluster's TanzuKubernetesCluster.
func TanzuClusters(p *model.Platform) ([]File, error) {
	return eachCluster(p, TanzuCluster)
}

// TanzuCluster renders a cluster's TanzuKubernetesCluster: the same labels
// as its ArgoCD registration, its annotations (the OS image among them),
// and its topology, node pools and their volumes sorted by name.
func TanzuCluster(_ *model.Platform, c *model.Cluster) (File, error) {
	if err := pathNames(pathName{"vsphereNamespace", c.VSphereNamespace}, pathName{"cluster name", c.Name}); err != nil {
		return File{}, err
	}
	path := TanzuPath(c.VSphereNamespace, c.Name)
	data, err := document(tanzuCluster(c))
	if err != nil {
		return File{}, renderError(path, err)
	}
	return File{Path: path, Data: data}, nil
}

func tanzuCluster(c *model.Cluster) tkc {
	pools := []nodePool{} // the CRD requires the field, even empty
	for _, name := range slices.Sorted(maps.Keys(c.NodePools)) {
		np := c.NodePools[name]
		pool := nodePool{
			Name:         np.Name,
			Replicas:     np.Replicas,
			VMClass:      np.VMClass,
			StorageClass: np.StorageClass,
			TKR:          tkrRef(np.TKR),
			Labels:       np.Labels,
		}
		for _, t := range np.Taints {
			pool.Taints = append(pool.Taints, taint(t))
		}
		for _, v := range slices.Sorted(maps.Keys(np.Volumes)) {
			pool.Volumes = append(pool.Volumes, volume{
				Name:      v,
				MountPath: VolumeMountPath(v),
				Capacity:  map[string]string{"storage": strconv.Itoa(np.Volumes[v]) + "Gi"},
			})
		}
		pools = append(pools, pool)
	}
	return tkc{
		APIVersion: TKCAPIVersion,
		Kind:       "TanzuKubernetesCluster",
		Metadata: objectMeta{
			Name:        c.Name,
			Namespace:   c.VSphereNamespace,
			Labels:      c.Labels,
			Annotations: c.Annotations,
		},
		Spec: tkcSpec{Topology: topology{
			ControlPlane: controlPlane{
				Replicas:     c.ControlPlane.Replicas,
				VMClass:      c.ControlPlane.VMClass,
				StorageClass: c.ControlPlane.StorageClass,
				TKR:          tkrRef(c.ControlPlane.TKR),
			},
			NodePools: pools,
		}},
	}
}

func tkrRef(name string) tkr {
	var t tkr
	t.Reference.Name = name
	return t
}

type tkc struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       tkcSpec    `json:"spec"`
}

type tkcSpec struct {
	Topology topology `json:"topology"`
}

type topology struct {
	ControlPlane controlPlane `json:"controlPlane"`
	NodePools    []nodePool   `json:"nodePools"`
}

type controlPlane struct {
	Replicas     int    `json:"replicas"`
	VMClass      string `json:"vmClass"`
	StorageClass string `json:"storageClass"`
	TKR          tkr    `json:"tkr"`
}

type nodePool struct {
	Name         string            `json:"name"`
	Replicas     int               `json:"replicas"`
	VMClass      string            `json:"vmClass"`
	StorageClass string            `json:"storageClass"`
	TKR          tkr               `json:"tkr"`
	Labels       map[string]string `json:"labels,omitempty"`
	Taints       []taint           `json:"taints,omitempty"`
	Volumes      []volume          `json:"volumes,omitempty"`
}

type tkr struct {
	Reference struct {
		Name string `json:"name"`
	} `json:"reference"`
}

type taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

type volume struct {
	Name      string            `json:"name"`
	MountPath string            `json:"mountPath"`
	Capacity  map[string]string `json:"capacity"`
}
