package preview

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/render"
)

// The Sveltos half of the preview: what Sveltos' addon-controller would
// install from the manifests platformc writes under sveltos/<control-plane>/
// (read back from their YAML, as for ArgoCD). It does what the controller
// does with them:
//
//   - a ClusterProfile matches the SveltosClusters whose labels its
//     clusterSelector matches (matchLabels and matchExpressions, as
//     Kubernetes evaluates them); an empty selector matches none
//     (libsveltos clusterproxy.GetMatchingClusters);
//   - a profile that dependsOn another makes the other match the clusters
//     it matches too (the controller's --auto-deploy-dependencies, on by
//     default), transitively; a dependsOn naming no profile, or a cycle,
//     would leave Sveltos waiting forever and is an error;
//   - the name and namespace of every valuesFrom reference, and of a Flux
//     source in a repositoryURL, are Go templates rendered per cluster as
//     libsveltos' template.GetReferenceResourceName does: html/template,
//     missingkey=error, over .Cluster (the SveltosCluster as written),
//     .ClusterNamespace and .ClusterName; an empty namespace is the
//     cluster's. A template reading a key that does not exist is an error,
//     as it is for Sveltos;
//   - a chart from gitrepository://<namespace>/<name>/<path> is the
//     GitRepository of that name at its ref (commit, name, semver, tag or
//     branch, in Flux's order of precedence; master if none), at <path>;
//   - the values of a chart are the data of its valuesFrom ConfigMaps, each
//     key one YAML document in the order of the sorted keys, merged over
//     the chart's own values.yaml. A ConfigMap that does not exist for a
//     selected cluster is an error unless the reference is optional.
//
// Two charts that install one release (namespace and name) on one cluster
// are an error: Sveltos would deploy one and report a conflict for the
// other. What is not modelled is refused rather than guessed at: other
// source kinds, inline or templated values, Secrets as values, the
// profile fields platformc does not write. The SveltosClusters are taken
// as ready (their status is not in git); Sveltos ignores one it cannot
// reach.

// SveltosControlPlane is what one Sveltos management cluster sees: the
// objects applied to it (everything under sveltos/<control-plane>/).
type SveltosControlPlane struct {
	Name       string
	Clusters   []SveltosCluster
	Profiles   []ClusterProfile
	Sources    []GitRepository
	ConfigMaps []ConfigMap
}

// SveltosCluster is a registered cluster as Sveltos reads it.
type SveltosCluster struct {
	Name      string
	Namespace string
	Labels    map[string]string
	// Object is the SveltosCluster as written: what a template reads as
	// .Cluster.
	Object map[string]any
	Path   string
}

// ClusterProfile is a ClusterProfile as read back.
type ClusterProfile struct {
	Name       string
	Selector   LabelSelector
	DependsOn  []string
	SyncMode   string
	HelmCharts []HelmChart
	Path       string
}

// HelmChart is one entry of a profile's helmCharts.
type HelmChart struct {
	RepositoryURL    string      `json:"repositoryURL"`
	RepositoryName   string      `json:"repositoryName"`
	ChartName        string      `json:"chartName"`
	ChartVersion     string      `json:"chartVersion"`
	ReleaseName      string      `json:"releaseName"`
	ReleaseNamespace string      `json:"releaseNamespace"`
	HelmChartAction  string      `json:"helmChartAction"`
	Values           string      `json:"values"`
	ValuesFrom       []ValueFrom `json:"valuesFrom"`
	// Options are Helm's flags; they change how, not what, is installed.
	Options map[string]any `json:"options"`
}

// ValueFrom is a valuesFrom reference.
type ValueFrom struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Optional  bool   `json:"optional"`
}

// GitRepository is a Flux GitRepository as read back.
type GitRepository struct {
	Name      string
	Namespace string
	URL       string
	// Revision is the ref it checks out.
	Revision string
	Path     string
}

// ConfigMap is a ConfigMap as read back.
type ConfigMap struct {
	Name        string
	Namespace   string
	Data        map[string]string
	Annotations map[string]string
	Path        string
}

// TemplateAnnotation marks a values ConfigMap whose content Sveltos
// instantiates as a template.
const TemplateAnnotation = "projectsveltos.io/template"

// ReadSveltos parses the rendered files under sveltos/ into one
// SveltosControlPlane per folder, sorted by name.
func ReadSveltos(files []render.File) ([]*SveltosControlPlane, error) {
	return readFolders(files, render.SveltosDir, func(name string) *SveltosControlPlane { return &SveltosControlPlane{Name: name} },
		(*SveltosControlPlane).read,
		func(cp *SveltosControlPlane) error {
			slices.SortFunc(cp.Clusters, func(a, b SveltosCluster) int { return strings.Compare(a.Path, b.Path) })
			slices.SortFunc(cp.Profiles, func(a, b ClusterProfile) int { return strings.Compare(a.Path, b.Path) })
			slices.SortFunc(cp.Sources, func(a, b GitRepository) int { return strings.Compare(a.Path, b.Path) })
			slices.SortFunc(cp.ConfigMaps, func(a, b ConfigMap) int { return strings.Compare(a.Path, b.Path) })
			return cp.unique()
		})
}

func (cp *SveltosControlPlane) read(f render.File) error {
	var obj object
	if err := yaml.Unmarshal(f.Data, &obj); err != nil {
		return err
	}
	name, ns := obj.Metadata.Name, obj.Metadata.Namespace
	switch obj.APIVersion + " " + obj.Kind {
	case "kustomize.config.k8s.io/v1beta1 Kustomization":
		return nil // how the manifests are applied, not one of them
	case render.SveltosClusterAPIVersion + " SveltosCluster":
		var doc struct {
			Spec struct {
				KubeconfigName    string            `json:"kubeconfigName"`
				KubeconfigKeyName string            `json:"kubeconfigKeyName"`
				Data              map[string]string `json:"data"`
			} `json:"spec"`
		}
		if err := strictSpec(f.Data, &doc); err != nil {
			return fmt.Errorf("sveltoscluster %q: %w", name, err)
		}
		var full map[string]any
		if err := yaml.Unmarshal(f.Data, &full); err != nil {
			return err
		}
		if name == "" || ns == "" {
			return fmt.Errorf("sveltoscluster %q: a SveltosCluster needs a name and a namespace", name)
		}
		cp.Clusters = append(cp.Clusters, SveltosCluster{Name: name, Namespace: ns, Labels: obj.Metadata.Labels, Object: full, Path: f.Path})
	case render.ClusterProfileAPIVersion + " ClusterProfile":
		if ns != "" {
			return fmt.Errorf("clusterprofile %q has namespace %q: a ClusterProfile is cluster-scoped", name, ns)
		}
		var doc struct {
			Spec struct {
				ClusterSelector LabelSelector `json:"clusterSelector"`
				DependsOn       []string      `json:"dependsOn"`
				SyncMode        string        `json:"syncMode"`
				HelmCharts      []HelmChart   `json:"helmCharts"`
			} `json:"spec"`
		}
		if err := strictSpec(f.Data, &doc); err != nil {
			return fmt.Errorf("clusterprofile %q: %w", name, err)
		}
		cp.Profiles = append(cp.Profiles, ClusterProfile{
			Name: name, Selector: doc.Spec.ClusterSelector, DependsOn: doc.Spec.DependsOn,
			SyncMode: cmp.Or(doc.Spec.SyncMode, "Continuous"), HelmCharts: doc.Spec.HelmCharts, Path: f.Path,
		})
	case render.GitRepositoryAPIVersion + " GitRepository":
		var doc struct {
			Spec struct {
				URL string `json:"url"`
				Ref struct {
					Branch string `json:"branch"`
					Tag    string `json:"tag"`
					SemVer string `json:"semver"`
					Name   string `json:"name"`
					Commit string `json:"commit"`
				} `json:"ref"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			return err
		}
		ref := doc.Spec.Ref
		cp.Sources = append(cp.Sources, GitRepository{
			Name: name, Namespace: ns, URL: doc.Spec.URL, Path: f.Path,
			Revision: cmp.Or(ref.Commit, ref.Name, ref.SemVer, ref.Tag, ref.Branch, "master"),
		})
	case "v1 ConfigMap":
		var doc struct {
			Data       map[string]string `json:"data"`
			BinaryData map[string]string `json:"binaryData"`
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			return err
		}
		if len(doc.BinaryData) > 0 {
			return fmt.Errorf("configmap %q: binaryData is not supported by the preview", name)
		}
		cp.ConfigMaps = append(cp.ConfigMaps, ConfigMap{Name: name, Namespace: ns, Data: doc.Data, Annotations: obj.Metadata.Annotations, Path: f.Path})
	default:
		return fmt.Errorf("unexpected %s %s", obj.APIVersion, obj.Kind)
	}
	return nil
}

// strictSpec decodes the document into doc, refusing any field of spec
// that doc does not name: the preview does not guess what it does.
func strictSpec(data []byte, doc any) error {
	var whole struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &whole); err != nil {
		return err
	}
	spec, err := yaml.Marshal(map[string]any{"spec": whole.Spec})
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(spec, doc); err != nil {
		return fmt.Errorf("%w (not supported by the preview)", err)
	}
	return nil
}

// unique refuses two objects of one kind with one name in one namespace:
// applied, the second would replace the first.
func (cp *SveltosControlPlane) unique() error {
	seen := map[string]string{}
	check := func(kind, ns, name, path string) error {
		key := kind + " " + ns + "/" + name
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("control plane %q: %s %s/%s is written twice, in %s and %s", cp.Name, kind, ns, name, prev, path)
		}
		seen[key] = path
		return nil
	}
	var errs []error
	for _, c := range cp.Clusters {
		errs = append(errs, check("SveltosCluster", c.Namespace, c.Name, c.Path))
	}
	for _, p := range cp.Profiles {
		errs = append(errs, check("ClusterProfile", "", p.Name, p.Path))
	}
	for _, s := range cp.Sources {
		errs = append(errs, check("GitRepository", s.Namespace, s.Name, s.Path))
	}
	for _, c := range cp.ConfigMaps {
		errs = append(errs, check("ConfigMap", c.Namespace, c.Name, c.Path))
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// SveltosRelease is one Helm release Sveltos would install on a cluster,
// summarised for people and scripts.
type SveltosRelease struct {
	Cluster        string
	ControlPlane   string
	ClusterProfile string
	// HelmChart is the index of the chart in the profile's helmCharts.
	HelmChart int
	Namespace string
	Release   string
	// ChartPath is the chart's directory in the source, as ./<path>.
	ChartPath string
	// Revision is the source's ref, RepoURL its URL.
	Revision string
	RepoURL  string
	// RepositoryURL is the chart's repositoryURL as written, Source the
	// GitRepository it names (<namespace>/<name>).
	RepositoryURL string
	Source        string
	// ValuesFrom are the ConfigMaps read, as rendered for the cluster.
	ValuesFrom []ValueFrom
	// Values are the value documents, in the order Sveltos merges them.
	Values [][]byte
	// SelectedBy says why the profile deploys to the cluster: its
	// clusterSelector, or the dependsOn of another profile.
	SelectedBy string
	SyncMode   string
}

// Releases returns every release the Sveltos control planes would install,
// sorted by cluster, release and namespace.
func Releases(cps []*SveltosControlPlane) ([]SveltosRelease, error) {
	return gather(cps, (*SveltosControlPlane).Releases, func(a, b SveltosRelease) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Release, b.Release),
			strings.Compare(a.Namespace, b.Namespace), strings.Compare(a.ControlPlane, b.ControlPlane))
	})
}

// Releases returns what this control plane's profiles would install.
func (cp *SveltosControlPlane) Releases() ([]SveltosRelease, error) {
	matching, why, err := cp.Matching()
	if err != nil {
		return nil, err
	}
	var out []SveltosRelease
	installed := map[string]string{} // cluster and release → what installs it
	for _, p := range cp.Profiles {
		for _, c := range matching[p.Name] {
			for i, hc := range p.HelmCharts {
				r, err := cp.release(p, i, hc, c)
				if err != nil {
					return nil, fmt.Errorf("%s: clusterprofile %q: helmCharts[%d]: cluster %q: %w", p.Path, p.Name, i, c.Name, err)
				}
				r.SelectedBy = why[p.Name][c.Path]
				key := c.Namespace + "/" + c.Name + " " + r.Namespace + "/" + r.Release
				where := fmt.Sprintf("clusterprofile %q helmCharts[%d]", p.Name, i)
				if prev, dup := installed[key]; dup {
					return nil, fmt.Errorf("control plane %q: cluster %q: release %s/%s is installed by %s and by %s; Sveltos deploys one of them and reports a conflict for the other",
						cp.Name, c.Name, r.Namespace, r.Release, prev, where)
				}
				installed[key] = where
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// Matching returns, for each profile, the clusters it deploys to in the
// order of their files, and why (by profile, then cluster path).
func (cp *SveltosControlPlane) Matching() (map[string][]SveltosCluster, map[string]map[string]string, error) {
	byName := map[string]*ClusterProfile{}
	for i := range cp.Profiles {
		byName[cp.Profiles[i].Name] = &cp.Profiles[i]
	}
	why := map[string]map[string]string{}
	for _, p := range cp.Profiles {
		why[p.Name] = map[string]string{}
		if p.Selector.Empty() {
			continue // an empty selector matches no cluster
		}
		for _, c := range cp.Clusters {
			ok, err := p.Selector.Matches(c.Labels)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: clusterprofile %q: clusterSelector: %w", p.Path, p.Name, err)
			}
			if ok {
				why[p.Name][c.Path] = "clusterSelector"
			}
		}
	}
	for _, p := range cp.Profiles {
		for _, d := range p.DependsOn {
			if byName[d] == nil {
				return nil, nil, fmt.Errorf("%s: clusterprofile %q dependsOn %q, which is not a ClusterProfile of control plane %q: Sveltos would wait for it forever", p.Path, p.Name, d, cp.Name)
			}
		}
	}
	if cycle := dependsOnCycle(cp.Profiles); cycle != nil {
		return nil, nil, fmt.Errorf("control plane %q: the ClusterProfiles %s depend on each other: Sveltos would wait forever", cp.Name, strings.Join(quoted(cycle), " → "))
	}
	// A prerequisite deploys to every cluster its dependents deploy to,
	// until nothing changes.
	for changed := true; changed; {
		changed = false
		for _, p := range cp.Profiles {
			for _, d := range p.DependsOn {
				for _, c := range slices.Sorted(maps.Keys(why[p.Name])) {
					if _, ok := why[d][c]; !ok {
						why[d][c] = "dependsOn of " + p.Name
						changed = true
					}
				}
			}
		}
	}
	matching := map[string][]SveltosCluster{}
	for _, p := range cp.Profiles {
		for _, c := range cp.Clusters {
			if _, ok := why[p.Name][c.Path]; ok {
				matching[p.Name] = append(matching[p.Name], c)
			}
		}
	}
	return matching, why, nil
}

// dependsOnCycle returns a cycle of profiles depending on each other, or
// nil.
func dependsOnCycle(profiles []ClusterProfile) []string {
	deps := map[string][]string{}
	for _, p := range profiles {
		deps[p.Name] = p.DependsOn
	}
	state := map[string]int{} // 1 visiting, 2 done
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = 1
		stack = append(stack, n)
		for _, d := range deps[n] {
			switch state[d] {
			case 1:
				i := slices.Index(stack, d)
				return append(slices.Clone(stack[i:]), d)
			case 0:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = 2
		return nil
	}
	for _, p := range profiles {
		if state[p.Name] == 0 {
			if c := visit(p.Name); c != nil {
				return c
			}
		}
	}
	return nil
}

func quoted(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fmt.Sprintf("%q", n)
	}
	return out
}

// release resolves chart i of profile p for cluster c.
func (cp *SveltosControlPlane) release(p ClusterProfile, i int, hc HelmChart, c SveltosCluster) (SveltosRelease, error) {
	switch {
	case hc.HelmChartAction != "" && hc.HelmChartAction != "Install":
		return SveltosRelease{}, fmt.Errorf("helmChartAction %q is not supported by the preview", hc.HelmChartAction)
	case hc.Values != "":
		return SveltosRelease{}, fmt.Errorf("inline values are not supported by the preview")
	case hc.ReleaseName == "" || hc.ReleaseNamespace == "":
		return SveltosRelease{}, fmt.Errorf("a chart needs releaseName and releaseNamespace")
	}
	r := SveltosRelease{
		Cluster: c.Name, ControlPlane: cp.Name, ClusterProfile: p.Name, HelmChart: i,
		Namespace: hc.ReleaseNamespace, Release: hc.ReleaseName, RepositoryURL: hc.RepositoryURL,
		SyncMode: p.SyncMode, ValuesFrom: []ValueFrom{},
	}
	rest, ok := cutPrefixFold(hc.RepositoryURL, render.GitRepositoryScheme)
	if !ok {
		return SveltosRelease{}, fmt.Errorf("repositoryURL %q: only Flux GitRepository sources (%s<namespace>/<name>/<path>) are supported by the preview", hc.RepositoryURL, render.GitRepositoryScheme)
	}
	parts := strings.Split(rest, "/")
	if len(parts) < 3 {
		return SveltosRelease{}, fmt.Errorf("repositoryURL %q: want %s<namespace>/<name>/<path>", hc.RepositoryURL, render.GitRepositoryScheme)
	}
	ns, err := c.RenderNamespace(parts[0])
	if err != nil {
		return SveltosRelease{}, fmt.Errorf("repositoryURL %q: source namespace: %w", hc.RepositoryURL, err)
	}
	name, err := c.Render(parts[1])
	if err != nil {
		return SveltosRelease{}, fmt.Errorf("repositoryURL %q: source name: %w", hc.RepositoryURL, err)
	}
	si := slices.IndexFunc(cp.Sources, func(s GitRepository) bool { return s.Namespace == ns && s.Name == name })
	if si < 0 {
		return SveltosRelease{}, fmt.Errorf("repositoryURL %q: GitRepository %s/%s does not exist", hc.RepositoryURL, ns, name)
	}
	src := cp.Sources[si]
	r.Source = ns + "/" + name
	r.RepoURL = src.URL
	r.Revision = src.Revision
	r.ChartPath = "./" + path.Clean(strings.Join(parts[2:], "/"))
	for j, vf := range hc.ValuesFrom {
		if vf.Kind != "ConfigMap" {
			return SveltosRelease{}, fmt.Errorf("valuesFrom[%d]: kind %q: only ConfigMaps are supported by the preview", j, vf.Kind)
		}
		ns, err := c.RenderNamespace(vf.Namespace)
		if err != nil {
			return SveltosRelease{}, fmt.Errorf("valuesFrom[%d]: namespace %q: %w", j, vf.Namespace, err)
		}
		name, err := c.Render(vf.Name)
		if err != nil {
			return SveltosRelease{}, fmt.Errorf("valuesFrom[%d]: name %q: %w", j, vf.Name, err)
		}
		ci := slices.IndexFunc(cp.ConfigMaps, func(m ConfigMap) bool { return m.Namespace == ns && m.Name == name })
		if ci < 0 {
			if vf.Optional {
				continue
			}
			return SveltosRelease{}, fmt.Errorf("valuesFrom[%d]: ConfigMap %s/%s does not exist", j, ns, name)
		}
		m := cp.ConfigMaps[ci]
		if _, ok := m.Annotations[TemplateAnnotation]; ok {
			return SveltosRelease{}, fmt.Errorf("valuesFrom[%d]: ConfigMap %s/%s is a template (%s), which the preview does not instantiate", j, ns, name, TemplateAnnotation)
		}
		r.ValuesFrom = append(r.ValuesFrom, ValueFrom{Kind: vf.Kind, Namespace: ns, Name: name, Optional: vf.Optional})
		for _, k := range slices.Sorted(maps.Keys(m.Data)) {
			r.Values = append(r.Values, []byte(m.Data[k]))
		}
	}
	return r, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// RenderNamespace renders the namespace of a reference for the cluster, as
// libsveltos' GetReferenceResourceNamespace does: empty is the cluster's
// namespace, anything else a template.
func (c SveltosCluster) RenderNamespace(raw string) (string, error) {
	if raw == "" {
		return c.Namespace, nil
	}
	return c.Render(raw)
}

// Render renders the name of a reference for the cluster, as libsveltos'
// GetReferenceResourceName does: an html/template with missingkey=error
// over .Cluster, .ClusterNamespace and .ClusterName. Only Go's template
// builtins are known here, not the sprig functions Sveltos adds.
func (c SveltosCluster) Render(raw string) (string, error) {
	if raw == "" {
		return c.Namespace, nil
	}
	tmpl, err := template.New(c.Namespace + "-" + c.Name).Option("missingkey=error").Parse(raw)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = tmpl.Execute(&b, struct {
		Cluster                       map[string]any
		ClusterNamespace, ClusterName string
	}{c.Object, c.Namespace, c.Name})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}
