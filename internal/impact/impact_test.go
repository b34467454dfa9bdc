package impact

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/internal/render"
)

func revision(name string, c *platformtest.Compiled) Revision {
	return Revision{Name: name, Platform: c.Platform, Files: c.Files}
}

// TestSameRevisionNoChange: a platform compared with itself changes
// nothing.
func TestSameRevisionNoChange(t *testing.T) {
	c := platformtest.Compile(t, nil)
	r, err := Compare(revision("old", c), revision("new", c))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Empty() || len(r.Environments)+len(r.Apps)+len(r.ApplicationSets) != 0 {
		t.Errorf("changes: %+v", r)
	}
	if want := fmt.Sprintf("no change: the %d files build writes are the same in both revisions", len(c.Files)); !slices.Equal(r.Summary, []string{want}) {
		t.Errorf("summary %q", r.Summary)
	}
}

// TestApplicationSetChangeMovesItsApplications: an app's sync wave is in
// its ApplicationSet's template, not in any values file: the
// ApplicationSet changes on each control plane that has it, and the
// Application changes on exactly the clusters enabling the app's bundle.
func TestApplicationSetChangeMovesItsApplications(t *testing.T) {
	old := platformtest.Compile(t, nil)
	new := platformtest.Compile(t, map[string]string{
		"bundles/wave.cue": "package bundles\n\nbundles: \"monitoring-medium\": apps: grafana: syncWave: 5\n",
	})
	r, err := Compare(revision("old", old), revision("new", new))
	if err != nil {
		t.Fatal(err)
	}
	enabling := new.Platform.Enabling("monitoring-medium")
	var sets []string
	var moved []string
	for _, as := range r.ApplicationSets {
		sets = append(sets, as.Path)
		if as.Change != Changed || as.App != "grafana" || as.Bundle != "monitoring-medium" {
			t.Errorf("%s: %+v", as.Path, as)
		}
		moved = append(moved, as.Applications.Changed...)
		if len(as.Applications.Added)+len(as.Applications.Removed) > 0 {
			t.Errorf("%s: Applications added or removed: %+v", as.Path, as.Applications)
		}
	}
	if want := []string{"argocd/development/applicationsets/grafana.yaml", "argocd/production/applicationsets/grafana.yaml"}; !slices.Equal(sets, want) {
		t.Errorf("ApplicationSets %q, want %q", sets, want)
	}
	slices.Sort(moved)
	if !slices.Equal(moved, enabling) {
		t.Errorf("Applications changed on %q, want the clusters enabling monitoring-medium %q", moved, enabling)
	}
	for _, f := range r.Files {
		if f.Kind != ApplicationSet {
			t.Errorf("%s (%s) changed too", f.Path, f.Kind)
		}
	}
	if want := "monitoring-medium/grafana: Application changes on 2 clusters (staging 1, prod 1); 2 ApplicationSets changed"; !slices.Contains(r.Summary, want) {
		t.Errorf("summary %q lacks %q", r.Summary, want)
	}
}

func TestClassify(t *testing.T) {
	c := platformtest.Compile(t, nil)
	ix := newIndex(c.Platform, c.Platform)
	for _, tc := range []struct {
		path                   string
		kind                   Kind
		cluster, app, cp, name string
	}{
		{path: "cluster/dev-alpha/monitoring/grafana/values.yaml", kind: Values, cluster: "dev-alpha", app: "grafana", cp: "development"},
		{path: "argocd/production/applicationsets/grafana.yaml", kind: ApplicationSet, app: "grafana", cp: "production"},
		{path: "argocd/production/clusters/prod-edge-1.yaml", kind: Registration, cluster: "prod-edge-1", cp: "production"},
		{path: "argocd/development/kustomization.yaml", kind: Kustomization, cp: "development"},
		{path: "tanzu/edge/prod-edge-1.yaml", kind: TKC, cluster: "prod-edge-1", cp: "production"},
		{path: "tanzu/edge/prod-edge-1.yml", kind: Other},
		{path: "argocd/production/profiles/grafana.yaml", kind: Other},
		{path: "sveltos/production/grafana.yaml", kind: Other},
		{path: "cluster/dev-alpha/grafana/values.yaml", kind: Other},
		{path: "README.md", kind: Other},
	} {
		f := File{Path: tc.path}
		ix.classify(&f)
		if f.Kind != tc.kind || f.Cluster != tc.cluster || f.App != tc.app || f.ControlPlane != tc.cp {
			t.Errorf("%s: %s cluster %q app %q control plane %q, want %s %q %q %q", tc.path, f.Kind, f.Cluster, f.App, f.ControlPlane, tc.kind, tc.cluster, tc.app, tc.cp)
		}
	}
}

// synthetic is a platform of n clusters in three environments on two
// control planes, each enabling one bundle of one app, and the values file
// of each: what a test of the report's shape needs, without CUE.
func synthetic(n int, values func(cluster string) string) Revision {
	p := &model.Platform{
		Defaults: model.Defaults{ControlPlanes: map[string]model.ControlPlane{
			"development": {Name: "development", Environments: []string{"dev", "staging"}},
			"production":  {Name: "production", Environments: []string{"prod"}},
		}},
		Bundles: map[string]*model.Bundle{"base": {Name: "base", Apps: map[string]*model.App{"app": {Name: "app", Category: "core"}}}},
	}
	var files []render.File
	for i := range n {
		name := fmt.Sprintf("c%04d", i)
		p.Clusters = append(p.Clusters, &model.Cluster{Name: name, Env: []string{"dev", "staging", "prod"}[i%3], Bundles: []string{"base"}})
		files = append(files, render.File{Path: "cluster/" + name + "/core/app/values.yaml", Data: []byte(values(name))})
	}
	render.Sort(files)
	return Revision{Name: "r", Platform: p, Files: files}
}

// TestMarkdownStaysPostable: however much changes, the comment stays
// under GitHub's limit, says what it left out, names at most a few
// clusters per cell, and shows diffs fenced longer than any backticks in
// them.
func TestMarkdownStaysPostable(t *testing.T) {
	old := synthetic(3000, func(c string) string { return "a: 1\n" + strings.Repeat("filler: line\n", 50) })
	new := synthetic(3000, func(c string) string {
		return "a: 2\nnote: \"```\"\n" + strings.Repeat("filler: line\n", 50)
	})
	// Every cluster changes differently, so that no two rows group.
	r, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	r.Against, r.Commit, r.Complete = "origin/main", strings.Repeat("a", 40), true
	var b bytes.Buffer
	if err := r.Markdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if b.Len() > MaxMarkdown {
		t.Errorf("%d bytes, more than %d", b.Len(), MaxMarkdown)
	}
	if !strings.HasPrefix(md, Marker+"\n### platformc impact against `origin/main` (`aaaaaaaaaaaa`)\n") {
		t.Errorf("heading:\n%s", md[:200])
	}
	if !strings.Contains(md, "| 1000: c0000, c0003, c0006, c0009, c0012, c0015, c0018, c0021, c0024, c0027 and 990 more | values: app |\n") {
		t.Errorf("the dev row does not name ten clusters and count the rest:\n%s", md)
	}
	if !strings.Contains(md, "\n````diff\n") || strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Errorf("diffs not fenced past the backticks they hold, or details unbalanced")
	}
	// Three samples, one per environment, in report order.
	for _, c := range []string{"c0000", "c0001", "c0002"} {
		if !strings.Contains(md, "diff a/cluster/"+c+"/core/app/values.yaml") {
			t.Errorf("no sample diff of %s", c)
		}
	}
	if strings.Contains(md, "diff a/cluster/c0003/") {
		t.Error("more than one sample of the dev environment")
	}

	// Many apps, each with a long diff: the groups that do not fit are
	// left out, and counted.
	var oldFiles, newFiles []render.File
	oldP, newP := synthetic(1, func(string) string { return "" }), synthetic(1, func(string) string { return "" })
	for i := range 200 {
		app := fmt.Sprintf("app%03d", i)
		oldP.Platform.Bundles["base"].Apps[app] = &model.App{Name: app, Category: "core"}
		path := "cluster/c0000/core/" + app + "/values.yaml"
		oldFiles = append(oldFiles, render.File{Path: path, Data: []byte(strings.Repeat("old: line\n", 100))})
		newFiles = append(newFiles, render.File{Path: path, Data: []byte(strings.Repeat("new: line\n", 100))})
	}
	newP.Platform.Bundles = oldP.Platform.Bundles
	r, err = Compare(Revision{Platform: oldP.Platform, Files: oldFiles}, Revision{Platform: newP.Platform, Files: newFiles})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := r.Markdown(&b, nil); err != nil {
		t.Fatal(err)
	}
	if b.Len() > MaxMarkdown {
		t.Errorf("%d bytes, more than %d", b.Len(), MaxMarkdown)
	}
	if !strings.Contains(b.String(), " groups of diffs left out to keep this comment postable; ") {
		t.Errorf("no note of what was left out:\n%s", b.String()[b.Len()-500:])
	}
	if !regexp.MustCompile(`\n\.\.\. [0-9]+ more lines\n`).MatchString(b.String()) {
		t.Error("a long diff is not cut")
	}
}

// TestHide: the Markdown diffs go through hide, old and new content alike.
func TestHide(t *testing.T) {
	old := synthetic(1, func(string) string { return "password: old-secret\n" })
	new := synthetic(1, func(string) string { return "password: new-secret\n" })
	r, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	hide := func(_ string, data []byte) []byte {
		return bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("old-secret"), []byte("<redacted P>")), []byte("new-secret"), []byte("<redacted P>"))
	}
	if err := r.Markdown(&b, hide); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "secret") || !strings.Contains(b.String(), "only redacted values differ") {
		t.Errorf("not hidden:\n%s", b.String())
	}
}
