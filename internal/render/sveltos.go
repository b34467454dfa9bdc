package render

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/model"
)

// SveltosDir holds, per control plane with engine "sveltos", what is
// applied to its Sveltos management cluster: sveltos/<control-plane>/.
const SveltosDir = "sveltos"

// The API versions of what the Sveltos engine writes.
const (
	SveltosClusterAPIVersion = "lib.projectsveltos.io/v1beta1"
	ClusterProfileAPIVersion = "config.projectsveltos.io/v1beta1"
	GitRepositoryAPIVersion  = "source.toolkit.fluxcd.io/v1"
)

// ValuesKey is the one data key of a values ConfigMap: it holds the bytes
// of the app's values file.
const ValuesKey = "values.yaml"

// KubeconfigKey is the key of the kubeconfig in a SveltosCluster's Secret
// (<cluster>-sveltos-kubeconfig), the key sveltosctl register cluster
// writes.
const KubeconfigKey = "kubeconfig"

// ClusterNameParam is how a valuesFrom name reads the cluster's name:
// libsveltos renders valuesFrom names as Go templates over the cluster
// (template.GetReferenceResourceName, missingkey=error), with .ClusterName
// the SveltosCluster's name.
const ClusterNameParam = "{{ .ClusterName }}"

// GitRepositoryScheme starts a helmCharts repositoryURL that names a Flux
// GitRepository: gitrepository://<namespace>/<name>/<path>.
const GitRepositoryScheme = "gitrepository://"

// MaxConfigMapData is the most data a ConfigMap may hold (the API server's
// limit, 1 MiB).
const MaxConfigMapData = 1 << 20

// SveltosClusterPath is where the SveltosCluster of a cluster is written.
func SveltosClusterPath(controlPlane, cluster string) string {
	return path.Join(SveltosDir, controlPlane, "clusters", cluster+".yaml")
}

// SveltosValuesPath is where the ConfigMap holding the values of app a on
// a cluster is written; the same shape as ValuesPath.
func SveltosValuesPath(controlPlane, cluster string, a *model.App) string {
	return path.Join(SveltosDir, controlPlane, "values", cluster, a.Category, a.Name+".yaml")
}

// ClusterProfilePath is where a ClusterProfile is written.
func ClusterProfilePath(controlPlane, profile string) string {
	return path.Join(SveltosDir, controlPlane, "profiles", profile+".yaml")
}

// GitRepositoryPath is where a Flux GitRepository is written.
func GitRepositoryPath(controlPlane, name string) string {
	return path.Join(SveltosDir, controlPlane, "sources", name+".yaml")
}

// SveltosKustomizationPath is the kustomization of a Sveltos control
// plane's manifests.
func SveltosKustomizationPath(controlPlane string) string {
	return path.Join(SveltosDir, controlPlane, "kustomization.yaml")
}

// SveltosValuesApp returns "<category>/<app>" if p is the path of a values
// ConfigMap, as SveltosValuesPath makes them.
func SveltosValuesApp(p string) (string, bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 6 || parts[0] != SveltosDir || parts[2] != "values" || !strings.HasSuffix(parts[5], ".yaml") {
		return "", false
	}
	return parts[4] + "/" + strings.TrimSuffix(parts[5], ".yaml"), true
}

// EditConfigMapValues returns a values ConfigMap (data) with its values
// document replaced by edit's result, encoded as render writes it: what a
// diff shows, the secrets of the document hidden as in the values file.
// ok is false unless data is byte for byte a values ConfigMap as render
// writes one, so that nothing else in it is changed or lost.
func EditConfigMapValues(data []byte, edit func(doc []byte) []byte) (_ []byte, ok bool) {
	var cm configMap
	if err := yaml.UnmarshalStrict(data, &cm); err != nil || cm.Kind != "ConfigMap" || len(cm.Data) != 1 {
		return nil, false
	}
	doc, ok := cm.Data[ValuesKey]
	if !ok {
		return nil, false
	}
	if again, err := document(cm); err != nil || !bytes.Equal(again, data) {
		return nil, false
	}
	cm.Data[ValuesKey] = string(edit([]byte(doc)))
	out, err := document(cm)
	if err != nil {
		return nil, false
	}
	return out, true
}

// SveltosChartURL is the repositoryURL of a helmCharts entry deploying app
// a from the catalog at branch: Sveltos' Flux-source form, the GitRepository
// of that repo and branch, and the chart's directory in it.
func SveltosChartURL(d model.Defaults, a *model.App, branch string) string {
	return GitRepositoryScheme + path.Join(d.Sveltos.Flux.Namespace, d.SourceName(a.ArgoCD.CatalogRepo.URL, branch), a.Category, a.Name)
}

// sveltosCluster renders the files of a cluster on a Sveltos control
// plane: its SveltosCluster, with the cluster's labels (those of its TKC)
// and no credentials, and one ConfigMap per app holding the bytes of the
// app's values file, values (rendered by Values, in p.Apps order).
func sveltosCluster(p *model.Platform, c *model.Cluster, cp model.ControlPlane, values []File) ([]File, error) {
	if err := pathNames(pathName{"control plane name", cp.Name}, pathName{"cluster name", c.Name}); err != nil {
		return nil, err
	}
	ns := p.Defaults.Sveltos.Namespace
	clusterPath := SveltosClusterPath(cp.Name, c.Name)
	data, err := document(sveltosClusterObject{
		APIVersion: SveltosClusterAPIVersion,
		Kind:       "SveltosCluster",
		Metadata:   objectMeta{Name: c.Name, Namespace: ns, Labels: c.Labels},
		Spec:       sveltosClusterSpec{KubeconfigKeyName: KubeconfigKey},
	})
	if err != nil {
		return nil, renderError(clusterPath, err)
	}
	files := []File{{Path: clusterPath, Data: data}}
	apps := p.Apps(c)
	if len(apps) != len(values) {
		return nil, fmt.Errorf("render: cluster %q: %d values files for %d apps", c.Name, len(values), len(apps))
	}
	for i, a := range apps {
		vp := SveltosValuesPath(cp.Name, c.Name, a)
		if values[i].Path != ValuesPath(c.Name, a) {
			return nil, fmt.Errorf("render %s: values file %s is not app %q's", vp, values[i].Path, a.Name)
		}
		if n := len(values[i].Data); n > MaxConfigMapData {
			return nil, fmt.Errorf("render %s: the values of app %q on cluster %q are %d bytes; a ConfigMap holds at most %d", vp, a.Name, c.Name, n, MaxConfigMapData)
		}
		data, err := document(configMap{
			APIVersion: "v1",
			Kind:       "ConfigMap",
			Metadata:   objectMeta{Name: model.ValuesConfigMapName(c.Name, a.Name), Namespace: ns},
			Data:       map[string]string{ValuesKey: string(values[i].Data)},
		})
		if err != nil {
			return nil, renderError(vp, err)
		}
		files = append(files, File{Path: vp, Data: data})
	}
	return files, nil
}

// Sveltos renders what the control planes with engine "sveltos" get from
// the whole platform: for every bundle enabled on a cluster of one of
// their environments a ClusterProfile, for every catalog repo and branch
// those profiles deploy from a Flux GitRepository, and a kustomization
// listing these and the clusters' SveltosClusters and values ConfigMaps.
func Sveltos(p *model.Platform) ([]File, error) {
	enabled := enabledByEnv(p)
	var files []File
	for _, cp := range p.SveltosControlPlanes() {
		type source struct{ url, branch string }
		sources := map[string]source{}
		var cpFiles []File
		for _, env := range cp.Environments {
			branch := p.Defaults.Environments[env].Branch
			for _, name := range slices.Sorted(maps.Keys(enabled[env])) {
				b := p.Bundles[name]
				if b == nil {
					continue // the checks report it
				}
				if err := pathNames(pathName{"control plane name", cp.Name}, pathName{"bundle name", b.Name}, pathName{"environment name", env}); err != nil {
					return nil, err
				}
				for _, a := range b.Apps {
					s := source{a.ArgoCD.CatalogRepo.URL, branch}
					sources[p.Defaults.SourceName(s.url, s.branch)] = s
				}
				profile := model.ProfileName(b.Name, env)
				fp := ClusterProfilePath(cp.Name, profile)
				data, err := document(clusterProfile(p.Defaults, b, env, branch))
				if err != nil {
					return nil, renderError(fp, err)
				}
				cpFiles = append(cpFiles, File{Path: fp, Data: data})
			}
		}
		for _, name := range slices.Sorted(maps.Keys(sources)) {
			s := sources[name]
			if err := pathNames(pathName{"GitRepository name", name}); err != nil {
				return nil, err
			}
			fp := GitRepositoryPath(cp.Name, name)
			data, err := document(gitRepository(p.Defaults, name, s.url, s.branch))
			if err != nil {
				return nil, renderError(fp, err)
			}
			cpFiles = append(cpFiles, File{Path: fp, Data: data})
		}
		resources := filePaths(cpFiles)
		for _, c := range p.Clusters {
			if clusterCP, ok := p.ControlPlaneOf(c.Env); !ok || clusterCP.Name != cp.Name {
				continue
			}
			resources = append(resources, SveltosClusterPath(cp.Name, c.Name))
			for _, a := range p.Apps(c) {
				resources = append(resources, SveltosValuesPath(cp.Name, c.Name, a))
			}
		}
		if len(resources) == 0 {
			continue
		}
		prefix := path.Join(SveltosDir, cp.Name) + "/"
		for i, r := range resources {
			resources[i] = strings.TrimPrefix(r, prefix)
		}
		slices.Sort(resources)
		kp := SveltosKustomizationPath(cp.Name)
		data, err := document(kustomization{
			APIVersion: "kustomize.config.k8s.io/v1beta1",
			Kind:       "Kustomization",
			Resources:  slices.Compact(resources),
		})
		if err != nil {
			return nil, renderError(kp, err)
		}
		files = append(append(files, cpFiles...), File{Path: kp, Data: data})
	}
	return files, nil
}

func filePaths(files []File) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.Path
	}
	return out
}

// clusterProfile is the ClusterProfile deploying bundle b to the clusters
// of env that enable it: one helmCharts entry per app, in the order of
// their sync waves (then names), each from the catalog at the env's
// branch, with the cluster's values from the ConfigMap Sveltos names for
// it. A bundle that requires others depends on their profiles for env.
func clusterProfile(d model.Defaults, b *model.Bundle, env, branch string) profileObject {
	apps := slices.Collect(maps.Values(b.Apps))
	slices.SortFunc(apps, func(x, y *model.App) int {
		return cmp.Or(cmp.Compare(x.SyncWave, y.SyncWave), strings.Compare(x.Name, y.Name))
	})
	var charts []helmChart
	for _, a := range apps {
		hc := helmChart{
			RepositoryURL:    SveltosChartURL(d, a, branch),
			ReleaseName:      a.ReleaseName,
			ReleaseNamespace: a.Namespace,
			HelmChartAction:  "Install",
			ValuesFrom: []valueFrom{{
				Kind:      "ConfigMap",
				Namespace: d.Sveltos.Namespace,
				Name:      model.ValuesConfigMapName(ClusterNameParam, a.Name),
			}},
		}
		var install installOptions
		if !a.ArgoCD.SyncPolicy.CreateNamespace {
			install.CreateNamespace = new(bool)
		}
		install.TakeOwnership = d.Sveltos.TakeOwnership
		if install != (installOptions{}) {
			hc.Options = &helmOptions{InstallOptions: &install}
		}
		charts = append(charts, hc)
	}
	var dependsOn []string
	for _, r := range slices.Sorted(slices.Values(b.Requires)) {
		dependsOn = append(dependsOn, model.ProfileName(r, env))
	}
	return profileObject{
		APIVersion: ClusterProfileAPIVersion,
		Kind:       "ClusterProfile",
		Metadata:   objectMeta{Name: model.ProfileName(b.Name, env)},
		Spec: profileSpec{
			ClusterSelector: labelSelector{MatchLabels: map[string]string{"env": env, b.Name: "enabled"}},
			DependsOn:       slices.Compact(dependsOn),
			SyncMode:        d.Sveltos.SyncMode,
			HelmCharts:      charts,
		},
	}
}

// gitRepository is the Flux GitRepository of repoURL at branch.
func gitRepository(d model.Defaults, name, repoURL, branch string) gitRepositoryObject {
	g := gitRepositoryObject{
		APIVersion: GitRepositoryAPIVersion,
		Kind:       "GitRepository",
		Metadata:   objectMeta{Name: name, Namespace: d.Sveltos.Flux.Namespace},
		Spec: gitRepositorySpec{
			Interval: d.Sveltos.Flux.Interval,
			URL:      model.FluxURL(repoURL),
			Ref:      gitRef{Branch: branch},
		},
	}
	if d.Sveltos.Flux.SecretRef != "" {
		g.Spec.SecretRef = &localRef{Name: d.Sveltos.Flux.SecretRef}
	}
	return g
}

// The Sveltos and Flux objects as written: only the fields platformc sets.

type sveltosClusterObject struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Metadata   objectMeta         `json:"metadata"`
	Spec       sveltosClusterSpec `json:"spec"`
}

type sveltosClusterSpec struct {
	KubeconfigKeyName string `json:"kubeconfigKeyName"`
}

type configMap struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Data       map[string]string `json:"data"`
}

type profileObject struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   objectMeta  `json:"metadata"`
	Spec       profileSpec `json:"spec"`
}

type profileSpec struct {
	ClusterSelector labelSelector `json:"clusterSelector"`
	DependsOn       []string      `json:"dependsOn,omitempty"`
	SyncMode        string        `json:"syncMode"`
	HelmCharts      []helmChart   `json:"helmCharts"`
}

type helmChart struct {
	RepositoryURL    string       `json:"repositoryURL"`
	ReleaseName      string       `json:"releaseName"`
	ReleaseNamespace string       `json:"releaseNamespace"`
	HelmChartAction  string       `json:"helmChartAction"`
	ValuesFrom       []valueFrom  `json:"valuesFrom"`
	Options          *helmOptions `json:"options,omitempty"`
}

type valueFrom struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

type helmOptions struct {
	InstallOptions *installOptions `json:"installOptions,omitempty"`
}

type installOptions struct {
	// CreateNamespace is false when set: Sveltos' default is true.
	CreateNamespace *bool `json:"createNamespace,omitempty"`
	TakeOwnership   bool  `json:"takeOwnership,omitempty"`
}

type gitRepositoryObject struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Spec       gitRepositorySpec `json:"spec"`
}

type gitRepositorySpec struct {
	Interval  string    `json:"interval"`
	URL       string    `json:"url"`
	Ref       gitRef    `json:"ref"`
	SecretRef *localRef `json:"secretRef,omitempty"`
}

type gitRef struct {
	Branch string `json:"branch"`
}

type localRef struct {
	Name string `json:"name"`
}
