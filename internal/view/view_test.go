package view

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

// platform has base (required), metrics, dashboards and alerts (both
// requiring metrics), and extra (required, and required by dashboards).
func platform() *model.Platform {
	bundle := func(name string, required bool, requires ...string) *model.Bundle {
		return &model.Bundle{Name: name, Version: "1.0.0", Required: required, Requires: requires,
			Apps: map[string]*model.App{name + "-app": {Name: name + "-app", Category: "c", Chart: "1.0.0", Namespace: name, Bundle: name}}}
	}
	return &model.Platform{
		Defaults: model.Defaults{ControlPlanes: map[string]model.ControlPlane{
			"np": {Name: "np", Environments: []string{"dev"}},
		}},
		Bundles: map[string]*model.Bundle{
			"base":       bundle("base", true),
			"extra":      bundle("extra", true),
			"metrics":    bundle("metrics", false),
			"dashboards": bundle("dashboards", false, "metrics", "extra"),
			"alerts":     bundle("alerts", false, "metrics"),
		},
		Clusters: []*model.Cluster{
			{Name: "a", Env: "dev", Bundles: []string{"base", "extra", "metrics", "dashboards", "alerts"}},
			{Name: "b", Env: "dev", Bundles: []string{"base", "extra", "metrics"}},
		},
	}
}

func TestClusterReasons(t *testing.T) {
	p := platform()
	d, err := Cluster(p, p.Clusters[0])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"alerts":     "enabled",
		"base":       "required",
		"dashboards": "enabled",
		"extra":      "required", // required by dashboards too; required on every cluster wins
		"metrics":    "required by alerts, dashboards",
	}
	for _, b := range d.Bundles {
		if b.why() != want[b.Name] {
			t.Errorf("%s: %q, want %q", b.Name, b.why(), want[b.Name])
		}
	}
	if d.ManagedBy != "np" || len(d.Apps) != 5 || d.Apps[0].Path != "cluster/a/c/alerts-app/values.yaml" {
		t.Errorf("managed by %q, %d apps, first %+v", d.ManagedBy, len(d.Apps), d.Apps[0])
	}
}

func TestBundles(t *testing.T) {
	rows := Bundles(platform())
	var metrics BundleRow
	for _, r := range rows {
		if r.Name == "metrics" {
			metrics = r
		}
	}
	if !slices.Equal(metrics.RequiredBy, []string{"alerts", "dashboards"}) || !slices.Equal(metrics.Clusters, []string{"a", "b"}) {
		t.Errorf("metrics: %+v", metrics)
	}
	var b bytes.Buffer
	if err := Print(&b, JSON, rows); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "null") {
		t.Errorf("JSON has null where a list is empty:\n%s", b.String())
	}
}

func TestShortList(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	if got := shortList(names, 4); got != "a, b, c, d" {
		t.Errorf("shortList(4) = %q", got)
	}
	if got := shortList(names, 2); got != "a, b and 2 more" {
		t.Errorf("shortList(2) = %q", got)
	}
	if got := shortList(nil, 2); got != "-" {
		t.Errorf("shortList(nil) = %q", got)
	}
}
