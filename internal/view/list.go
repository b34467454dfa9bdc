package view

import (
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/platformc/platformc/internal/model"
)

// ClusterRow is one cluster in list clusters.
type ClusterRow struct {
	Name             string            `json:"name"`
	Env              string            `json:"env"`
	ManagedBy        string            `json:"managedBy"` // the control plane
	VSphereNamespace string            `json:"vsphereNamespace"`
	Server           string            `json:"server"`
	TKR              string            `json:"tkr"`
	Labels           map[string]string `json:"labels"`
	Bundles          []string          `json:"bundles"`
	Apps             int               `json:"apps"`
}

// ClusterList is the result of list clusters.
type ClusterList []ClusterRow

// Clusters lists the platform's clusters, sorted by name.
func Clusters(p *model.Platform) ClusterList {
	rows := ClusterList{}
	for _, c := range p.Clusters {
		rows = append(rows, ClusterRow{
			Name:             c.Name,
			Env:              c.Env,
			ManagedBy:        p.Defaults.ControlPlaneOf(c.Env),
			VSphereNamespace: c.VSphereNamespace,
			Server:           c.Server,
			TKR:              c.TKR,
			Labels:           c.Labels,
			Bundles:          orEmpty(slices.Sorted(slices.Values(c.Bundles))),
			Apps:             len(p.Apps(c)),
		})
	}
	return rows
}

// Text prints NAME ENV CONTROL PLANE APPS BUNDLES.
func (l ClusterList) Text(w io.Writer) error {
	rows := [][]string{{"NAME", "ENV", "CONTROL PLANE", "APPS", "BUNDLES"}}
	for _, r := range l {
		rows = append(rows, []string{r.Name, r.Env, r.ManagedBy, strconv.Itoa(r.Apps), list(r.Bundles)})
	}
	return table(w, rows...)
}

// BundleRow is one bundle in list bundles.
type BundleRow struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Version     string   `json:"version"`
	Required    bool     `json:"required"`
	Requires    []string `json:"requires"`
	RequiredBy  []string `json:"requiredBy"`
	Apps        []string `json:"apps"`
	// Clusters are the listed clusters that enable the bundle.
	Clusters []string `json:"clusters"`
}

// BundleList is the result of list bundles.
type BundleList []BundleRow

// Bundles lists the platform's bundles, sorted by name, with the clusters
// of p that enable each.
func Bundles(p *model.Platform) BundleList {
	rows := BundleList{}
	for _, name := range slices.Sorted(maps.Keys(p.Bundles)) {
		rows = append(rows, bundleRow(p, name))
	}
	return rows
}

func bundleRow(p *model.Platform, name string) BundleRow {
	b := p.Bundles[name]
	return BundleRow{
		Name:        name,
		Description: b.Description,
		Version:     b.Version,
		Required:    b.Required,
		Requires:    orEmpty(slices.Sorted(slices.Values(b.Requires))),
		RequiredBy:  orEmpty(p.RequiredBy(name)),
		Apps:        orEmpty(slices.Sorted(maps.Keys(b.Apps))),
		Clusters:    orEmpty(p.Enabling(name)),
	}
}

// Text prints NAME VERSION REQUIRED REQUIRES APPS CLUSTERS, the last two
// as counts.
func (l BundleList) Text(w io.Writer) error {
	rows := [][]string{{"NAME", "VERSION", "REQUIRED", "REQUIRES", "APPS", "CLUSTERS"}}
	for _, r := range l {
		rows = append(rows, []string{r.Name, r.Version, yesNo(r.Required), list(r.Requires),
			strconv.Itoa(len(r.Apps)), strconv.Itoa(len(r.Clusters))})
	}
	return table(w, rows...)
}

// App is an app of a bundle, as the catalog declares it.
type App struct {
	Name        string `json:"name"`
	Category    string `json:"category"`
	Chart       string `json:"chart"`
	Since       string `json:"since"`
	Namespace   string `json:"namespace"`
	ReleaseName string `json:"releaseName"`
	SyncWave    int    `json:"syncWave"`
}

func app(a *model.App) App {
	return App{Name: a.Name, Category: a.Category, Chart: a.Chart, Since: a.Since,
		Namespace: a.Namespace, ReleaseName: a.ReleaseName, SyncWave: a.SyncWave}
}

// AppRow is one app in list apps.
type AppRow struct {
	App
	Bundle string `json:"bundle"`
	// Clusters are the listed clusters that run the app.
	Clusters []string `json:"clusters"`
}

// AppList is the result of list apps.
type AppList []AppRow

// Apps lists the apps of every bundle, sorted by name, with the clusters
// of p that run each.
func Apps(p *model.Platform) AppList {
	rows := AppList{}
	for _, b := range slices.Sorted(maps.Keys(p.Bundles)) {
		clusters := orEmpty(p.Enabling(b))
		for _, a := range p.Bundles[b].Apps {
			rows = append(rows, AppRow{App: app(a), Bundle: b, Clusters: clusters})
		}
	}
	slices.SortFunc(rows, func(a, b AppRow) int { return strings.Compare(a.Name, b.Name) })
	return rows
}

// Text prints NAME BUNDLE CATEGORY CHART SINCE NAMESPACE CLUSTERS, the
// last as a count.
func (l AppList) Text(w io.Writer) error {
	rows := [][]string{{"NAME", "BUNDLE", "CATEGORY", "CHART", "SINCE", "NAMESPACE", "CLUSTERS"}}
	for _, r := range l {
		rows = append(rows, []string{r.Name, r.Bundle, r.Category, r.Chart, dash(r.Since), r.Namespace, strconv.Itoa(len(r.Clusters))})
	}
	return table(w, rows...)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
