// Package preview computes the Applications ArgoCD would generate from the
// manifests platformc writes: it reads the rendered ApplicationSets and
// cluster registration Secrets of each control plane back from their YAML
// and does what ArgoCD's ApplicationSet controller does with them (cluster
// generator selection, parameters, fasttemplate substitution), so that what
// it shows is what ArgoCD would do with what was written, not what the model
// meant. It does I/O on nothing: it takes the rendered files.
//
// Only what platformc writes is modelled: cluster generators with a label
// selector and values, and default (non-Go) templating. Anything else in an
// ApplicationSet is refused with an error rather than guessed at.
//
// For the control planes with engine "sveltos" it does the same with what
// Sveltos' addon-controller does (sveltos.go): ReadSveltos and Releases.
package preview

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/render"
)

// InCluster is the cluster ArgoCD manages without a Secret: the one it
// runs in. A cluster generator with an empty selector selects it too.
var InCluster = Cluster{Name: "in-cluster", Server: "https://kubernetes.default.svc"}

// ControlPlane is what one ArgoCD sees: the cluster Secrets and
// ApplicationSets applied to it (everything under argocd/<control-plane>/).
type ControlPlane struct {
	Name            string
	Clusters        []Cluster
	ApplicationSets []ApplicationSet
}

// Cluster is a registered cluster as the cluster generator reads it.
type Cluster struct {
	Name        string
	Server      string
	Project     string
	Labels      map[string]string
	Annotations map[string]string
	// Path is the file it was read from ("" for InCluster).
	Path string
}

// ApplicationSet is an ApplicationSet as read back.
type ApplicationSet struct {
	Name       string
	Namespace  string
	Generators []ClusterGenerator
	// Template is spec.template, untyped: every string in it is templated.
	Template map[string]any
	Path     string
}

// ClusterGenerator is a cluster generator: the clusters whose Secret
// labels match Selector, with Values as extra parameters.
type ClusterGenerator struct {
	Selector LabelSelector     `json:"selector"`
	Values   map[string]string `json:"values"`
	// Template and FlatList are read only to refuse them.
	Template map[string]any `json:"template"`
	FlatList bool           `json:"flatList"`
}

// Read parses the rendered files under argocd/ into one ControlPlane per
// folder, sorted by name. namespace is the namespace ArgoCD runs in: it
// only reads Secrets and ApplicationSets there.
func Read(files []render.File, namespace string) ([]*ControlPlane, error) {
	return readFolders(files, render.ArgoCDDir, func(name string) *ControlPlane { return &ControlPlane{Name: name} },
		func(cp *ControlPlane, f render.File) error { return cp.read(f, namespace) },
		func(cp *ControlPlane) error {
			// Whatever order the files came in, the result is the same.
			slices.SortFunc(cp.Clusters, func(a, b Cluster) int { return strings.Compare(a.Path, b.Path) })
			slices.SortFunc(cp.ApplicationSets, func(a, b ApplicationSet) int { return strings.Compare(a.Path, b.Path) })
			return nil
		})
}

// readFolders reads the files under dir/<control-plane>/ into one T per
// control plane folder (made by open, each file given to read), finished
// by done, sorted by name.
func readFolders[T any](files []render.File, dir string, open func(name string) *T, read func(*T, render.File) error, done func(*T) error) ([]*T, error) {
	byName := map[string]*T{}
	for _, f := range files {
		rest, ok := strings.CutPrefix(f.Path, dir+"/")
		if !ok {
			continue
		}
		name, _, ok := strings.Cut(rest, "/")
		if !ok {
			return nil, fmt.Errorf("%s: not in a control plane folder %s/<control-plane>/", f.Path, dir)
		}
		cp := byName[name]
		if cp == nil {
			cp = open(name)
			byName[name] = cp
		}
		if err := read(cp, f); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	var out []*T
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		if err := done(byName[name]); err != nil {
			return nil, err
		}
		out = append(out, byName[name])
	}
	return out, nil
}

// object is the part of any manifest that says what it is.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name        string            `json:"name"`
		Namespace   string            `json:"namespace"`
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
}

func (cp *ControlPlane) read(f render.File, namespace string) error {
	var obj object
	if err := yaml.Unmarshal(f.Data, &obj); err != nil {
		return err
	}
	if obj.APIVersion == "kustomize.config.k8s.io/v1beta1" && obj.Kind == "Kustomization" {
		return nil // how the manifests are applied, not one of them
	}
	if obj.Metadata.Namespace != namespace {
		return fmt.Errorf("%s %q is in namespace %q; ArgoCD reads its own namespace %q", obj.Kind, obj.Metadata.Name, obj.Metadata.Namespace, namespace)
	}
	switch {
	case obj.APIVersion == "v1" && obj.Kind == "Secret":
		if obj.Metadata.Labels[render.SecretTypeLabel] != render.SecretTypeCluster {
			return fmt.Errorf("secret %q is not labelled %s=%s", obj.Metadata.Name, render.SecretTypeLabel, render.SecretTypeCluster)
		}
		c, err := readClusterSecret(f.Data, obj)
		if err != nil {
			return err
		}
		c.Path = f.Path
		cp.Clusters = append(cp.Clusters, c)
	case obj.APIVersion == "argoproj.io/v1alpha1" && obj.Kind == "ApplicationSet":
		as, err := readApplicationSet(f.Data, obj)
		if err != nil {
			return err
		}
		as.Path = f.Path
		cp.ApplicationSets = append(cp.ApplicationSets, as)
	default:
		return fmt.Errorf("unexpected %s %s", obj.APIVersion, obj.Kind)
	}
	return nil
}

// readClusterSecret reads the secret's data as the API server stores it:
// data (base64) overlaid by stringData.
func readClusterSecret(data []byte, obj object) (Cluster, error) {
	var s struct {
		Data       map[string]string `json:"data"`
		StringData map[string]string `json:"stringData"`
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		return Cluster{}, err
	}
	fields := map[string]string{}
	for k, v := range s.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return Cluster{}, fmt.Errorf("secret %q: data.%s is not base64: %w", obj.Metadata.Name, k, err)
		}
		fields[k] = string(b)
	}
	maps.Copy(fields, s.StringData)
	if fields["name"] == "" || fields["server"] == "" {
		return Cluster{}, fmt.Errorf("secret %q: a cluster secret needs name and server", obj.Metadata.Name)
	}
	return Cluster{
		Name:        fields["name"],
		Server:      fields["server"],
		Project:     fields["project"],
		Labels:      obj.Metadata.Labels,
		Annotations: obj.Metadata.Annotations,
	}, nil
}

func readApplicationSet(data []byte, obj object) (ApplicationSet, error) {
	var doc struct {
		Spec struct {
			GoTemplate    bool                         `json:"goTemplate"`
			TemplatePatch string                       `json:"templatePatch"`
			Generators    []map[string]json.RawMessage `json:"generators"`
			Template      map[string]any               `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return ApplicationSet{}, err
	}
	name := obj.Metadata.Name
	switch {
	case doc.Spec.GoTemplate:
		return ApplicationSet{}, fmt.Errorf("applicationset %q: goTemplate is not supported by the preview", name)
	case doc.Spec.TemplatePatch != "":
		return ApplicationSet{}, fmt.Errorf("applicationset %q: templatePatch is not supported by the preview", name)
	case doc.Spec.Template == nil:
		return ApplicationSet{}, fmt.Errorf("applicationset %q: no template", name)
	}
	as := ApplicationSet{Name: name, Namespace: obj.Metadata.Namespace, Template: doc.Spec.Template}
	for i, g := range doc.Spec.Generators {
		raw, ok := g["clusters"]
		if !ok || len(g) != 1 {
			return ApplicationSet{}, fmt.Errorf("applicationset %q: generator %d: only a cluster generator without a post selector is supported, got %s",
				name, i, strings.Join(slices.Sorted(maps.Keys(g)), ", "))
		}
		var cg ClusterGenerator
		if err := yaml.UnmarshalStrict(raw, &cg); err != nil {
			return ApplicationSet{}, fmt.Errorf("applicationset %q: generator %d: %w", name, i, err)
		}
		if len(cg.Template) > 0 || cg.FlatList {
			return ApplicationSet{}, fmt.Errorf("applicationset %q: generator %d: a generator template or flatList is not supported by the preview", name, i)
		}
		as.Generators = append(as.Generators, cg)
	}
	if len(as.Generators) == 0 {
		return ApplicationSet{}, fmt.Errorf("applicationset %q: no generators", name)
	}
	return as, nil
}

// Application is one Application ArgoCD would generate, summarised for
// people and scripts, with the full manifest beside.
type Application struct {
	Cluster        string   `json:"cluster"`
	Name           string   `json:"application"`
	ControlPlane   string   `json:"controlPlane"`
	Namespace      string   `json:"namespace"`
	Release        string   `json:"release"`
	ChartPath      string   `json:"chartPath"`
	Revision       string   `json:"revision"`
	ValueFiles     []string `json:"valueFiles"`
	Project        string   `json:"project"`
	Server         string   `json:"server"`
	RepoURL        string   `json:"repoURL"`
	ApplicationSet string   `json:"applicationSet"`
	// Generator is the index of the generator that selected the cluster.
	Generator int `json:"generator"`
	// Manifest is the Application as ArgoCD would create it.
	Manifest map[string]any `json:"-"`
	// Sources are the Application's sources, for resolving value files.
	Sources []Source `json:"-"`
}

// Source is one source of an Application.
type Source struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision"`
	Path           string `json:"path"`
	Chart          string `json:"chart"`
	Ref            string `json:"ref"`
	Helm           struct {
		ReleaseName string   `json:"releaseName"`
		ValueFiles  []string `json:"valueFiles"`
	} `json:"helm"`
}

// ValueFile is a Helm value file of an Application, resolved to the repo
// and revision it is read from.
type ValueFile struct {
	RepoURL  string
	Revision string
	// Path is relative to the repo's root.
	Path string
}

// ResolveValueFiles resolves the value files of the Application's chart
// source as ArgoCD does: $<ref>/<path> from the source with that ref, any
// other path relative to the chart's directory.
func (a *Application) ResolveValueFiles() ([]ValueFile, error) {
	chart, ok := chartSource(a.Sources)
	if !ok {
		return nil, fmt.Errorf("application %q has no chart source", a.Name)
	}
	var out []ValueFile
	for _, f := range chart.Helm.ValueFiles {
		ref, rest, isRef := strings.Cut(f, "/")
		if !isRef || !strings.HasPrefix(ref, "$") {
			out = append(out, ValueFile{RepoURL: chart.RepoURL, Revision: chart.TargetRevision, Path: path.Join(strings.TrimPrefix(chart.Path, "./"), f)})
			continue
		}
		i := slices.IndexFunc(a.Sources, func(s Source) bool { return s.Ref == ref[1:] })
		if i < 0 {
			return nil, fmt.Errorf("application %q: value file %s: no source has ref %q", a.Name, f, ref[1:])
		}
		out = append(out, ValueFile{RepoURL: a.Sources[i].RepoURL, Revision: a.Sources[i].TargetRevision, Path: rest})
	}
	return out, nil
}

// chartSource is the source that holds the chart: the first with a path
// or a chart (a ref-only source only lends its files).
func chartSource(sources []Source) (Source, bool) {
	for _, s := range sources {
		if s.Path != "" || s.Chart != "" {
			return s, true
		}
	}
	return Source{}, false
}

// Applications returns every Application the control planes would
// generate, sorted by cluster and name. Two Applications with one name on a
// control plane, or a parameter the template leaves unresolved, are errors:
// ArgoCD would refuse the first and create a broken Application for the
// second.
func Applications(cps []*ControlPlane) ([]Application, error) {
	return gather(cps, (*ControlPlane).Applications, func(a, b Application) int {
		return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Name, b.Name), strings.Compare(a.ControlPlane, b.ControlPlane))
	})
}

// gather appends what each control plane's f returns, sorted by compare.
func gather[C, T any](cps []C, f func(C) ([]T, error), compare func(a, b T) int) ([]T, error) {
	var out []T
	for _, cp := range cps {
		ts, err := f(cp)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	slices.SortFunc(out, compare)
	return out, nil
}

// Applications returns the Applications this control plane would generate.
func (cp *ControlPlane) Applications() ([]Application, error) {
	var out []Application
	seen := map[string]string{} // application name → where it came from
	for _, as := range cp.ApplicationSets {
		for gi, g := range as.Generators {
			selected, err := g.Select(cp.Clusters)
			if err != nil {
				return nil, fmt.Errorf("%s: applicationset %q: generator %d: %w", as.Path, as.Name, gi, err)
			}
			for _, c := range selected {
				app, err := generate(as, gi, c)
				if err != nil {
					return nil, fmt.Errorf("%s: applicationset %q: generator %d: cluster %q: %w", as.Path, as.Name, gi, c.Name, err)
				}
				app.ControlPlane = cp.Name
				where := fmt.Sprintf("applicationset %q generator %d", as.Name, gi)
				if prev, dup := seen[app.Name]; dup {
					return nil, fmt.Errorf("control plane %q: application %q is generated twice, by %s and by %s", cp.Name, app.Name, prev, where)
				}
				seen[app.Name] = where
				out = append(out, app)
			}
		}
	}
	return out, nil
}

// Select returns the clusters the generator selects: those whose Secret
// labels match the selector; with an empty selector, every cluster and
// the in-cluster one too (ArgoCD leaves it out only when a selector is set).
func (g ClusterGenerator) Select(clusters []Cluster) ([]Cluster, error) {
	var out []Cluster
	if g.Selector.Empty() {
		out = append(out, InCluster)
	}
	for _, c := range clusters {
		ok, err := g.Selector.Matches(c.Labels)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

// Params are the parameters the cluster generator gives the template for
// a cluster, flat as the default templating reads them.
func (g ClusterGenerator) Params(c Cluster) map[string]string {
	params := map[string]string{
		"name":           c.Name,
		"nameNormalized": normalize(c.Name),
		"server":         c.Server,
		"project":        c.Project,
	}
	for k, v := range c.Labels {
		params["metadata.labels."+k] = v
	}
	for k, v := range c.Annotations {
		params["metadata.annotations."+k] = v
	}
	// Values are templated with the cluster's parameters, not with each
	// other, and added afterwards.
	values := map[string]string{}
	for k, v := range g.Values {
		values["values."+k] = Replace(v, params)
	}
	maps.Copy(params, values)
	return params
}

func generate(as ApplicationSet, gi int, c Cluster) (Application, error) {
	params := as.Generators[gi].Params(c)
	tmpl := replaceAll(as.Template, params).(map[string]any)
	if tag := unresolved(tmpl); tag != "" {
		return Application{}, fmt.Errorf("the template keeps the unresolved parameter %s", tag)
	}
	meta, _ := tmpl["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["namespace"] = as.Namespace
	manifest := map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   meta,
		"spec":       tmpl["spec"],
	}
	var typed struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
		Spec struct {
			Project     string `json:"project"`
			Destination struct {
				Server    string `json:"server"`
				Namespace string `json:"namespace"`
			} `json:"destination"`
			Source  *Source  `json:"source"`
			Sources []Source `json:"sources"`
		} `json:"spec"`
	}
	if err := remarshal(manifest, &typed); err != nil {
		return Application{}, err
	}
	if typed.Metadata.Name == "" {
		return Application{}, fmt.Errorf("the template makes an Application without a name")
	}
	sources := typed.Spec.Sources
	if typed.Spec.Source != nil {
		sources = append([]Source{*typed.Spec.Source}, sources...)
	}
	app := Application{
		Cluster:        c.Name,
		Name:           typed.Metadata.Name,
		Namespace:      typed.Spec.Destination.Namespace,
		Project:        typed.Spec.Project,
		Server:         typed.Spec.Destination.Server,
		ApplicationSet: as.Name,
		Generator:      gi,
		Manifest:       manifest,
		Sources:        sources,
		ValueFiles:     []string{},
	}
	if chart, ok := chartSource(sources); ok {
		app.ChartPath = cmp.Or(chart.Path, chart.Chart)
		app.Revision = chart.TargetRevision
		app.RepoURL = chart.RepoURL
		// Helm's release is the Application's name unless set.
		app.Release = cmp.Or(chart.Helm.ReleaseName, app.Name)
		if chart.Helm.ValueFiles != nil {
			app.ValueFiles = chart.Helm.ValueFiles
		}
	}
	return app, nil
}

// remarshal converts v to dst through JSON.
func remarshal(v, dst any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, dst)
}
