package view

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/render"
)

// Why a bundle is on a cluster. Every enabled bundle is listed in the
// cluster's bundles; the reason says what made it necessary.
const (
	Required   = "required"   // the platform requires it on every cluster
	RequiredBy = "requiredBy" // another enabled bundle requires it
	Enabled    = "enabled"    // the cluster chose it
)

// BundleUse is a bundle enabled on a cluster and why.
type BundleUse struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
	// RequiredBy are the cluster's other bundles that require this one.
	RequiredBy []string `json:"requiredBy"`
}

func (u BundleUse) why() string {
	if u.Reason == RequiredBy {
		return "required by " + strings.Join(u.RequiredBy, ", ")
	}
	return u.Reason
}

// AppValues is an app of a cluster with its final values.
type AppValues struct {
	App
	Bundle string `json:"bundle"`
	// Path is the values file build writes, relative to its directory.
	Path   string         `json:"path"`
	Values map[string]any `json:"values"`
	text   []byte         // the values file without its header
}

// ClusterDetail is the result of show cluster: the evaluated cluster.
type ClusterDetail struct {
	Name             string                     `json:"name"`
	Env              string                     `json:"env"`
	ManagedBy        string                     `json:"managedBy"` // the control plane
	VSphereNamespace string                     `json:"vsphereNamespace"`
	Server           string                     `json:"server"`
	TKR              string                     `json:"tkr"`
	OSImage          string                     `json:"osImage"`
	ControlPlane     model.ControlPlaneNodes    `json:"controlPlane"`
	NodePools        map[string]*model.NodePool `json:"nodePools"`
	Labels           map[string]string          `json:"labels"`
	Annotations      map[string]string          `json:"annotations"`
	Settings         map[string]any             `json:"settings"`
	Bundles          []BundleUse                `json:"bundles"`
	Apps             []AppValues                `json:"apps"`
}

// Cluster details cluster c of p: its bundles with why each is on, and its
// apps with their values as build writes them.
func Cluster(p *model.Platform, c *model.Cluster) (*ClusterDetail, error) {
	d := &ClusterDetail{
		Name:             c.Name,
		Env:              c.Env,
		ManagedBy:        p.Defaults.ControlPlaneOf(c.Env),
		VSphereNamespace: c.VSphereNamespace,
		Server:           c.Server,
		TKR:              c.TKR,
		OSImage:          c.OSImage,
		ControlPlane:     c.ControlPlane,
		NodePools:        c.NodePools,
		Labels:           c.Labels,
		Annotations:      c.Annotations,
		Settings:         c.Settings,
		Bundles:          []BundleUse{},
		Apps:             []AppValues{},
	}
	for _, name := range slices.Sorted(slices.Values(c.Bundles)) {
		b := p.Bundles[name]
		use := BundleUse{Name: name, Version: b.Version, Reason: Enabled, RequiredBy: []string{}}
		for _, other := range c.Bundles {
			if slices.Contains(p.Bundles[other].Requires, name) {
				use.RequiredBy = append(use.RequiredBy, other)
			}
		}
		slices.Sort(use.RequiredBy)
		switch {
		case b.Required:
			use.Reason = Required
		case len(use.RequiredBy) > 0:
			use.Reason = RequiredBy
		}
		d.Bundles = append(d.Bundles, use)
	}
	for _, a := range p.Apps(c) {
		f, err := render.AppValues(c, a)
		if err != nil {
			return nil, err
		}
		d.Apps = append(d.Apps, AppValues{
			App: app(a), Bundle: a.Bundle, Path: f.Path, Values: c.Values[a.Name],
			text: bytes.TrimPrefix(f.Data, []byte(render.Header)),
		})
	}
	return d, nil
}

// Text prints the cluster's fields, its bundles and apps as tables, then
// each app's values.
func (d *ClusterDetail) Text(w io.Writer) error {
	rows := [][]string{
		{"cluster", d.Name},
		{"env", d.Env},
		{"control plane", d.ManagedBy},
		{"vsphere namespace", d.VSphereNamespace},
		{"server", d.Server},
		{"tkr", d.TKR},
		{"nodes", nodes(d)},
	}
	rows = append(rows, pairs("labels", d.Labels)...)
	rows = append(rows, pairs("settings", d.Settings)...)
	if err := table(w, rows...); err != nil {
		return err
	}
	rows = [][]string{{"BUNDLE", "VERSION", "WHY"}}
	for _, b := range d.Bundles {
		rows = append(rows, []string{b.Name, b.Version, b.why()})
	}
	fmt.Fprintln(w)
	if err := table(w, rows...); err != nil {
		return err
	}
	rows = [][]string{{"APP", "BUNDLE", "CATEGORY", "CHART", "NAMESPACE", "RELEASE", "WAVE"}}
	for _, a := range d.Apps {
		rows = append(rows, []string{a.Name, a.Bundle, a.Category, a.Chart, a.Namespace, a.ReleaseName, strconv.Itoa(a.SyncWave)})
	}
	fmt.Fprintln(w)
	if err := table(w, rows...); err != nil {
		return err
	}
	for _, a := range d.Apps {
		fmt.Fprintf(w, "\nvalues of %s (%s):\n", a.Name, a.Path)
		for _, line := range strings.SplitAfter(strings.TrimSuffix(string(a.text), "\n"), "\n") {
			fmt.Fprintf(w, "  %s", line)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// nodes summarises the node topology: control plane 3x guaranteed-medium, ...
func nodes(d *ClusterDetail) string {
	parts := []string{fmt.Sprintf("control plane %dx %s", d.ControlPlane.Replicas, d.ControlPlane.VMClass)}
	for _, name := range slices.Sorted(maps.Keys(d.NodePools)) {
		np := d.NodePools[name]
		parts = append(parts, fmt.Sprintf("%s %dx %s", name, np.Replicas, np.VMClass))
	}
	return strings.Join(parts, ", ")
}

// pairs prints a map as key=value rows under one label, "-" if empty.
func pairs[V any](label string, m map[string]V) [][]string {
	if len(m) == 0 {
		return [][]string{{label, "-"}}
	}
	var rows [][]string
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			label = ""
		}
		rows = append(rows, []string{label, fmt.Sprintf("%s=%v", k, m[k])})
	}
	return rows
}

// BundleDetail is the result of show bundle.
type BundleDetail struct {
	BundleRow
	Apps []App `json:"apps"`
}

// Bundle details the bundle name of p, with the clusters of p that enable
// it.
func Bundle(p *model.Platform, name string) *BundleDetail {
	d := &BundleDetail{BundleRow: bundleRow(p, name), Apps: []App{}}
	for _, a := range slices.Sorted(maps.Keys(p.Bundles[name].Apps)) {
		d.Apps = append(d.Apps, app(p.Bundles[name].Apps[a]))
	}
	return d
}

// Text prints the bundle's fields, then its apps as a table.
func (d *BundleDetail) Text(w io.Writer) error {
	err := table(w,
		[]string{"bundle", d.Name},
		[]string{"version", d.Version},
		[]string{"description", d.Description},
		[]string{"required", yesNo(d.Required)},
		[]string{"requires", list(d.Requires)},
		[]string{"required by", list(d.RequiredBy)},
		[]string{"clusters", fmt.Sprintf("%d: %s", len(d.Clusters), shortList(d.Clusters, 10))},
	)
	if err != nil {
		return err
	}
	rows := [][]string{{"APP", "CATEGORY", "CHART", "SINCE", "NAMESPACE", "RELEASE", "WAVE"}}
	for _, a := range d.Apps {
		rows = append(rows, []string{a.Name, a.Category, a.Chart, dash(a.Since), a.Namespace, a.ReleaseName, strconv.Itoa(a.SyncWave)})
	}
	fmt.Fprintln(w)
	return table(w, rows...)
}
