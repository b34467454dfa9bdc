package pipeline_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/parser"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/schema"
)

// TestBundleEditEvaluatesOnlyItsApps: after an edit to bundle files only,
// the clusters enabling an edited bundle are evaluated again for that
// bundle's apps alone, the rest from their earlier cache entry, and the
// build gives exactly what a build without the cache gives: the same
// bytes, or the same errors.
func TestBundleEditEvaluatesOnlyItsApps(t *testing.T) {
	type edit struct{ file, old, new string }
	// monitoring-basic is enabled by the three clusters.
	value := edit{"bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {edited: 1}`}
	for _, tc := range []struct {
		name string
		// setup changes the module before the cache is filled.
		setup []edit
		edits []edit
		// partly is how many clusters are evaluated in part; 0 with an
		// error, which is looked for again without the cache.
		partly int
		// want are strings the outcome holds; lacks, strings it does not.
		want, lacks []string
	}{
		{name: "a value", edits: []edit{value}, partly: 3, want: []string{"edited: 1"}},
		{
			name: "an app's chart and category",
			edits: []edit{
				{"bundles/monitoring-basic.cue", `category:  "monitoring"
			chart:     "13.0.0"`, `category:  "observability"
			chart:     "13.0.1"`},
			},
			partly: 3,
			want:   []string{"== cluster/dev-alpha/observability/prometheus-crds/values.yaml"},
			lacks:  []string{"== cluster/dev-alpha/monitoring/prometheus-crds/values.yaml"},
		},
		{
			name:  "an error in a value",
			edits: []edit{{"bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {edited: 1 & 2}`}},
			want:  []string{"error:", "conflicting values"},
		},
		{
			name:  "an error in a hidden field of a value",
			edits: []edit{{"bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {_edited: 1 & 2}`}},
			want:  []string{"error:", "conflicting values"},
		},
		{
			// Hidden fields are not written: as in a whole evaluation, an
			// incomplete one is no error.
			name:   "an incomplete hidden field of a value",
			edits:  []edit{{"bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {_edited: int}`}},
			partly: 3,
		},
		{
			name:   "two bundles",
			edits:  []edit{value, {"bundles/core-basic.cue", `ingressClassResource: default: true`, `ingressClassResource: default: false`}},
			partly: 3,
			want:   []string{"edited: 1", "default: false"},
		},
		{
			// Alone, without its bundle's values, the cluster's value of
			// another app is not concrete: it is not looked at.
			name: "a cluster's constraint on another app's value",
			setup: []edit{{"clusters/dev/dev-alpha/cluster.cue", `values: "ingress-nginx": "ingress-nginx": controller: replicaCount: 1`,
				`values: "ingress-nginx": "ingress-nginx": controller: {replicaCount: 1, ingressClassResource: default: bool}`}},
			edits:  []edit{value},
			partly: 3,
			want:   []string{"edited: 1"},
		},
		{
			// dev-alpha's own values of ingress-nginx read a value of
			// prometheus-crds, which the edit changes: it is evaluated
			// whole.
			name: "a cluster's value reading another app's",
			setup: []edit{
				{"bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {marker: "before"}`},
				{"clusters/dev/dev-alpha/cluster.cue", `values: "ingress-nginx": "ingress-nginx": controller: replicaCount: 1`,
					`values: "ingress-nginx": "ingress-nginx": controller: {replicaCount: 1, podAnnotations: marker: values."prometheus-crds"."prometheus-operator-crds".marker}`},
			},
			edits:  []edit{{"bundles/monitoring-basic.cue", `marker: "before"`, `marker: "after"`}},
			partly: 2,
			want:   []string{"marker: after"},
			lacks:  []string{"marker: before"},
		},
		{
			// A check of the team's own on #Cluster compares a value the
			// edit changes with one of another bundle's app: every cluster
			// is evaluated whole (in part, the other app's value would be
			// incomplete and the check silent), and the check fails as it
			// does without the cache.
			name: "a check in schema/ reading two apps' values",
			setup: []edit{
				{"bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {marker: true}`},
				{"schema/marker.cue", "", `package schema

#Cluster: {
	values: _
	_marker: values."prometheus-crds"."prometheus-operator-crds".marker & values."ingress-nginx"."ingress-nginx".controller.ingressClassResource.default
}
`},
			},
			edits: []edit{{"bundles/monitoring-basic.cue", `marker: true`, `marker: false`}},
			want:  []string{"error:", "_marker"},
		},
		{
			name:   "clusters of a Sveltos control plane",
			setup:  []edit{{"platform/platform.cue", `development: environments: ["dev", "staging"]`, `development: {environments: ["dev", "staging"], engine: "sveltos"}`}},
			edits:  []edit{value},
			partly: 1, // prod-edge-1, of the ArgoCD control plane
			want:   []string{"edited: 1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "a value" && tc.name != "a cluster's value reading another app's" {
				t.Skip("-short (-race in CI): the two cases run are one evaluated in part and one made whole while loading")
			}
			mod := t.TempDir()
			platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
			apply := func(edits []edit) {
				for _, e := range edits {
					if e.old == "" {
						write(t, mod, e.file, e.new) // a new file
						continue
					}
					replaceIn(t, mod, e.file, e.old, e.new)
				}
			}
			apply(tc.setup)
			c, err := cache.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			build := func(c *cache.Cache) (*pipeline.Result, string) {
				res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, Cache: c})
				return res, outcome(res, err)
			}
			if _, out := build(c); strings.HasPrefix(out, "error:") {
				t.Fatalf("before the edit: %s", out)
			}
			apply(tc.edits)
			res, got := build(c)
			if res.Partly != tc.partly {
				t.Errorf("%d clusters evaluated in part, want %d (%d evaluated, %d from the cache)", res.Partly, tc.partly, res.Evaluated, res.Cached)
			}
			// The reference evaluates every app of every cluster, whole.
			if want := outcome(pipeline.Run(context.Background(), pipeline.Options{Dir: mod, NoSharing: true})); got != want {
				t.Fatalf("cached build differs from uncached:\ncached:\n%.3000s\nuncached:\n%.3000s", got, want)
			}
			for _, s := range tc.want {
				if !strings.Contains(got, s) {
					t.Errorf("the outcome lacks %q:\n%.3000s", s, got)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(got, s) {
					t.Errorf("the outcome holds %q", s)
				}
			}
			// Built again, nothing is evaluated: the entries written from
			// the parts are whole.
			if res, again := build(c); res.Evaluated != 0 && !strings.HasPrefix(again, "error:") || again != got {
				t.Errorf("built again: %d evaluated, same outcome %t", res.Evaluated, again == got)
			}
		})
	}
}

// TestBundleEditedTwice: a second edit of the same bundle starts from the
// entries the first wrote, and a third puts the first value back.
func TestBundleEditedTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (-race in CI)")
	}
	mod := t.TempDir()
	platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(mod, "bundles", "monitoring-basic.cue")
	orig, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"", "{edited: 1}", "{edited: 2}", ""} {
		data := orig
		if v != "" {
			data = bytes.Replace(orig, []byte(`values: "prometheus-operator-crds": {}`), []byte(`values: "prometheus-operator-crds": `+v), 1)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, Cache: c})
		got := outcome(res, err)
		want := outcome(pipeline.Run(context.Background(), pipeline.Options{Dir: mod, NoSharing: true}))
		if got != want {
			t.Fatalf("build %d: cached build differs from uncached", i)
		}
		if i > 0 && i < 3 && res.Partly != 3 {
			t.Errorf("build %d: %d clusters evaluated in part, want 3", i, res.Partly)
		}
	}
}

// TestSchemaReadsOnlyValuesKeys guards partial evaluation (see build.reuse)
// against a change to the schema platformc writes: #Cluster reads of a
// cluster's values only their keys (are they apps the cluster runs?),
// through the one reference below. A schema that read an app's values
// from elsewhere in the cluster would see, in a cluster evaluated in part,
// the other apps' values incomplete; this test fails first.
func TestSchemaReadsOnlyValuesKeys(t *testing.T) {
	var refs []string
	err := fs.WalkDir(schema.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := fs.ReadFile(schema.FS, p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(p, src)
		if err != nil {
			return err
		}
		at, _ := load.ValuesReferences(f)
		for _, pos := range at {
			refs = append(refs, pos.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"cluster.cue:124:22"}; !slices.Equal(refs, want) {
		t.Errorf("the schema refers to values at %v, want only %v (let clusterValues = values, whose keys the checks read): check that partial evaluation still holds", refs, want)
	}
}
