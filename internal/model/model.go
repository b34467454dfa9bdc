// Package model holds the evaluated platform as Go values: what render reads.
// The types mirror the CUE schema in schema/ (the source of truth); a test
// decodes the reference platform into them and fails on unknown fields.
package model

import (
	"maps"
	"slices"
	"strings"

	"cuelang.org/go/cue/token"
)

// Platform is a fully evaluated, checked platform.
type Platform struct {
	Defaults Defaults
	// Bundles by name.
	Bundles map[string]*Bundle
	// Clusters sorted by name.
	Clusters []*Cluster
}

// Defaults mirrors schema.#Platform.
type Defaults struct {
	Registry      string                  `json:"registry"`
	ValuesRepo    ValuesRepo              `json:"valuesRepo"`
	CatalogRepo   CatalogRepo             `json:"catalogRepo"`
	ArgoCD        ArgoCD                  `json:"argocd"`
	Environments  map[string]Environment  `json:"environments"`
	ControlPlanes map[string]ControlPlane `json:"controlPlanes"`
	Sveltos       Sveltos                 `json:"sveltos"`
	Settings      map[string]any          `json:"settings"`
}

// ValuesRepo is the private repo the per-cluster values are written to.
type ValuesRepo struct {
	URL      string `json:"url"`
	Revision string `json:"revision"`
}

// CatalogRepo is the service catalog of umbrella charts.
type CatalogRepo struct {
	URL string `json:"url"`
}

// ArgoCD mirrors schema.#ArgoCD.
type ArgoCD struct {
	// Namespace is where each control plane's ArgoCD runs.
	Namespace  string     `json:"namespace"`
	Project    string     `json:"project"`
	SyncPolicy SyncPolicy `json:"syncPolicy"`
}

// SyncPolicy is the sync policy of generated Applications.
type SyncPolicy struct {
	Automated       Automated `json:"automated"`
	CreateNamespace bool      `json:"createNamespace"`
}

// Automated is ArgoCD's automated sync policy.
type Automated struct {
	Enabled  bool `json:"enabled"`
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// AppArgoCD is one app's effective ArgoCD settings: the platform's, with
// what the app's argocd field sets (ArgoCDOverride) applied.
type AppArgoCD struct {
	Project     string      `json:"project"`
	SyncPolicy  SyncPolicy  `json:"syncPolicy"`
	CatalogRepo CatalogRepo `json:"catalogRepo"`
}

// ArgoCDOverride mirrors schema.#AppArgoCD: what an app sets of the
// platform's ArgoCD settings, nil where it keeps the platform's.
type ArgoCDOverride struct {
	Project    *string `json:"project,omitempty"`
	SyncPolicy *struct {
		Automated *struct {
			Enabled  *bool `json:"enabled,omitempty"`
			Prune    *bool `json:"prune,omitempty"`
			SelfHeal *bool `json:"selfHeal,omitempty"`
		} `json:"automated,omitempty"`
		CreateNamespace *bool `json:"createNamespace,omitempty"`
	} `json:"syncPolicy,omitempty"`
	CatalogRepo *struct {
		URL *string `json:"url,omitempty"`
	} `json:"catalogRepo,omitempty"`
}

// Apply returns the platform's settings d with the override o applied.
func (o *ArgoCDOverride) Apply(d Defaults) AppArgoCD {
	a := AppArgoCD{Project: d.ArgoCD.Project, SyncPolicy: d.ArgoCD.SyncPolicy, CatalogRepo: d.CatalogRepo}
	if o == nil {
		return a
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	setBool := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	set(&a.Project, o.Project)
	if sp := o.SyncPolicy; sp != nil {
		setBool(&a.SyncPolicy.CreateNamespace, sp.CreateNamespace)
		if au := sp.Automated; au != nil {
			setBool(&a.SyncPolicy.Automated.Enabled, au.Enabled)
			setBool(&a.SyncPolicy.Automated.Prune, au.Prune)
			setBool(&a.SyncPolicy.Automated.SelfHeal, au.SelfHeal)
		}
	}
	if cr := o.CatalogRepo; cr != nil {
		set(&a.CatalogRepo.URL, cr.URL)
	}
	return a
}

// Environment is a stage clusters belong to.
type Environment struct {
	Name   string `json:"name"`
	Branch string `json:"branch"`
	// Pos is where the environment is declared.
	Pos token.Pos `json:"-"`
}

// ControlPlane is an ArgoCD instance or a Sveltos management cluster
// managing some environments.
type ControlPlane struct {
	Name string `json:"name"`
	// Engine is EngineArgoCD or EngineSveltos; "" (a schema older than
	// the engine field) is ArgoCD.
	Engine       string   `json:"engine"`
	Environments []string `json:"environments"`
	// Pos is where the control plane's environments are declared.
	Pos token.Pos `json:"-"`
}

// Bundle mirrors schema.#Bundle, without the apps' values (those are per
// cluster).
type Bundle struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Version     string          `json:"version"`
	Required    bool            `json:"required"`
	Requires    []string        `json:"requires"`
	Apps        map[string]*App `json:"apps"`
	// Pos is where the bundle is declared, RequiresPos where its requires
	// are (the declaration if it has none).
	Pos, RequiresPos token.Pos `json:"-"`
}

// App mirrors schema.#App, without values.
type App struct {
	Name        string          `json:"name"`
	Category    string          `json:"category"`
	Chart       string          `json:"chart"`
	Since       string          `json:"since,omitempty"`
	Namespace   string          `json:"namespace"`
	ReleaseName string          `json:"releaseName"`
	SyncWave    int             `json:"syncWave"`
	Override    *ArgoCDOverride `json:"argocd,omitempty"`
	// ArgoCD are the effective settings (not in CUE: the platform's
	// with Override applied, by LinkApps).
	ArgoCD AppArgoCD `json:"-"`
	// Bundle is the bundle that holds the app (not in CUE: the map key).
	Bundle string `json:"-"`
	// Pos is where the app is declared.
	Pos token.Pos `json:"-"`
}

// Cluster mirrors schema.#Cluster.
type Cluster struct {
	Name             string               `json:"name"`
	Env              string               `json:"env"`
	VSphereNamespace string               `json:"vsphereNamespace"`
	Server           string               `json:"server"`
	Bundles          []string             `json:"bundles"`
	Labels           map[string]string    `json:"labels"`
	TKR              string               `json:"tkr"`
	OSImage          string               `json:"osImage"`
	Annotations      map[string]string    `json:"annotations"`
	ControlPlane     ControlPlaneNodes    `json:"controlPlane"`
	NodePools        map[string]*NodePool `json:"nodePools"`
	Settings         map[string]any       `json:"settings"`
	// Values are the final Helm values of each enabled app, by app name.
	Values map[string]map[string]any `json:"values"`
	// Pos is where the cluster is declared.
	Pos token.Pos `json:"-"`
}

// ControlPlaneNodes is the TKC control plane topology.
type ControlPlaneNodes struct {
	Replicas     int    `json:"replicas"`
	VMClass      string `json:"vmClass"`
	StorageClass string `json:"storageClass"`
	TKR          string `json:"tkr"`
}

// NodePool is a TKC worker node pool.
type NodePool struct {
	Name         string            `json:"name"`
	Replicas     int               `json:"replicas"`
	VMClass      string            `json:"vmClass"`
	StorageClass string            `json:"storageClass"`
	TKR          string            `json:"tkr"`
	Labels       map[string]string `json:"labels"`
	Taints       []Taint           `json:"taints"`
	// Volumes maps a volume name to its size in GiB.
	Volumes map[string]int `json:"volumes"`
}

// Taint is a node taint.
type Taint struct {
	Key    string `json:"key"`
	Value  string `json:"value,omitempty"`
	Effect string `json:"effect"`
}

// ControlPlaneOf returns the name of the control plane managing env, or ""
// (the checks make sure there is exactly one).
func (d Defaults) ControlPlaneOf(env string) string {
	for _, name := range slices.Sorted(maps.Keys(d.ControlPlanes)) {
		if slices.Contains(d.ControlPlanes[name].Environments, env) {
			return name
		}
	}
	return ""
}

// RequiredBy returns the bundles that require bundle, sorted.
func (p *Platform) RequiredBy(bundle string) []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(p.Bundles)) {
		if slices.Contains(p.Bundles[name].Requires, bundle) {
			names = append(names, name)
		}
	}
	return names
}

// Enabling returns the names of the clusters that enable bundle, in
// cluster order.
func (p *Platform) Enabling(bundle string) []string {
	var names []string
	for _, c := range p.Clusters {
		if slices.Contains(c.Bundles, bundle) {
			names = append(names, c.Name)
		}
	}
	return names
}

// Apps returns the apps enabled on the cluster, sorted by name.
func (p *Platform) Apps(c *Cluster) []*App {
	var apps []*App
	for _, b := range c.Bundles {
		for _, a := range p.Bundles[b].Apps {
			apps = append(apps, a)
		}
	}
	sortApps(apps)
	return apps
}

// AllApps returns the apps of every bundle, sorted by name (app names are
// unique across bundles).
func (p *Platform) AllApps() []*App {
	var apps []*App
	for _, b := range p.Bundles {
		for _, a := range b.Apps {
			apps = append(apps, a)
		}
	}
	sortApps(apps)
	return apps
}

// ControlPlanes returns the control planes sorted by name.
func (p *Platform) ControlPlanes() []ControlPlane {
	cps := make([]ControlPlane, 0, len(p.Defaults.ControlPlanes))
	for _, cp := range p.Defaults.ControlPlanes {
		cps = append(cps, cp)
	}
	slices.SortFunc(cps, func(a, b ControlPlane) int { return strings.Compare(a.Name, b.Name) })
	return cps
}

// ControlPlaneOf returns the control plane that manages env; ok is false if
// none does (vet refuses such a platform).
func (p *Platform) ControlPlaneOf(env string) (cp ControlPlane, ok bool) {
	for _, cp := range p.ControlPlanes() {
		if slices.Contains(cp.Environments, env) {
			return cp, true
		}
	}
	return ControlPlane{}, false
}

// ValidName reports whether s is a DNS-1123 label (at most 63 lowercase
// letters, digits and '-', starting and ending with a letter or digit):
// what the schema requires of every name that becomes a path element of
// the output or a Kubernetes name.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ApplicationName is the name of the Application that deploys app to
// cluster: what the ApplicationSets generate, and what must be unique on
// the platform.
func ApplicationName(cluster, app string) string { return cluster + "-" + app }

func sortApps(apps []*App) {
	slices.SortFunc(apps, func(a, b *App) int { return strings.Compare(a.Name, b.Name) })
}

// LinkApps sets what decoding the bundles leaves empty: each app's Bundle,
// the bundle holding it (the map key), and its effective ArgoCD settings,
// the platform's d with the app's override applied.
func LinkApps(bundles map[string]*Bundle, d Defaults) {
	for name, b := range bundles {
		for _, a := range b.Apps {
			a.Bundle = name
			a.ArgoCD = a.Override.Apply(d)
		}
	}
}
