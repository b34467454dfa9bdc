package pipeline_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/cache"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/platformtest"
)

// TestSharedValuesEqualSeparate: values evaluated once per distinct input
// and shared between clusters (eval.Shared) give exactly what evaluating
// them in each cluster gives — the same bytes, or the same errors — on
// platforms written to catch a shared value that should not be: values
// that read the cluster in ways the syntax hides, a cluster that sets an
// app's values, a setting whose type is in its digits, a view field that
// is not there, closedness, errors.
func TestSharedValuesEqualSeparate(t *testing.T) {
	type edit struct{ file, old, new string }
	const certValues = `crds: enabled: true`
	for _, tc := range []struct {
		name  string
		edits []edit
		// shared says that some values are shared; the apps in separate
		// are not (their values hold the cluster's name, or the markers
		// here: each cluster's own).
		shared bool
		want   []string
		// trial and batch, if set, are eval.SharedTrial and
		// Options.LoadBatch.
		trial int64
		batch int
	}{
		{name: "the reference platform", shared: true},
		{
			// The view is written out as CUE for the values shared: a
			// float, a 20-digit integer and a string with quotes, a tab,
			// a newline, an interpolation's marker and a multi-line
			// string come back as they were.
			name: "settings whose CUE syntax is delicate",
			edits: []edit{
				{"platform/platform.cue", `nodeType:                    "platform"`, `nodeType: "platform", scale: 1.0, big: 12345678901234567890, odd: "q\"t\tn\nd \\(x) é", multi: """
			one
			  "two"
			"""`},
				{"bundles/core-basic.cue", certValues, certValues + "\nscale: #cluster.settings.scale, big: #cluster.settings.big, odd: #cluster.settings.odd, multi: #cluster.settings.multi"},
			},
			shared: true,
			want:   []string{"scale: 1\n", `big: "12345678901234567890"`, "odd: |-\n    q\"t\tn\n    d \\(x) é\n", "multi: |-\n    one\n      \"two\"\n"},
		},
		{
			name: "a cluster's own setting",
			edits: []edit{
				{"bundles/core-basic.cue", certValues, certValues + "\nteam: #cluster.settings.team"},
				{"platform/platform.cue", `nodeType:                    "platform"`, `nodeType: "platform", team: "platform"`},
				{"clusters/dev/dev-alpha/cluster.cue", `labels: team: "alpha"`, `labels: team: "alpha"
	settings: team: "alpha"`},
			},
			shared: true,
			want:   []string{"team: alpha", "team: platform"},
		},
		{
			// Each cluster its own team, and sharing given up after one
			// value: some directories share cert-manager's values, the
			// ones loaded after do not.
			name: "a setting every cluster sets its own way",
			edits: []edit{
				{"bundles/core-basic.cue", certValues, certValues + "\nteam: #cluster.settings.team"},
				{"platform/platform.cue", `nodeType:                    "platform"`, `nodeType: "platform", team: "platform"`},
				{"clusters/dev/dev-alpha/cluster.cue", `labels: team: "alpha"`, `labels: team: "alpha"
	settings: team: "alpha"`},
				{"clusters/prod/prod-edge-1/cluster.cue", `bundles:`, `settings: team: "edge"
	bundles:`},
			},
			trial: 1,
			batch: 1,
			want:  []string{"team: alpha", "team: edge", "team: platform"},
		},
		{
			// dev-alpha sets mode "a"; the others take the platform's
			// *"a" | "b": the same concrete value, but a disjunction that
			// swallows an error makes it differ.
			name: "a setting's default against a setting",
			edits: []edit{
				{"platform/platform.cue", `nodeType:                    "platform"`, `nodeType: "platform", mode: *"a" | "b"`},
				{"bundles/core-basic.cue", certValues, certValues + "\nmode: *(#cluster.settings.mode & \"b\") | \"fallback\""},
				{"clusters/dev/dev-alpha/cluster.cue", `labels: team: "alpha"`, `labels: team: "alpha"
	settings: mode: "a"`},
			},
			shared: true,
			want:   []string{"mode: fallback", "mode: b"},
		},
		{
			// The same fields, closed on dev-alpha only, unified with a
			// field of the values' own.
			name: "a setting closed on one cluster",
			edits: []edit{
				{"platform/platform.cue", `nodeType:                    "platform"`, `nodeType: "platform", w: {a: "q"}`},
				{"bundles/core-basic.cue", certValues, certValues + "\nw: (#cluster.settings.w & {extra: 1}).a"},
				{"clusters/dev/dev-alpha/cluster.cue", `labels: team: "alpha"`, `labels: team: "alpha"
	settings: w: close({a: "q"})`},
			},
			shared: true,
			want:   []string{"w: q"},
		},
		{
			name:   "the cluster read through a let",
			edits:  []edit{{"bundles/core-basic.cue", certValues, certValues + "\nlet c = #cluster\nowner: c.name"}},
			shared: true, // the other apps
			want:   []string{"owner: dev-alpha", "owner: prod-edge-1"},
		},
		{
			name:   "the cluster read through a helper's alias",
			edits:  []edit{{"bundles/core-basic.cue", certValues, certValues + "\nowner: _who.n"}, {"bundles/bundles.cue", "#cluster: _", "#cluster: _\nY=_c: #cluster\n_who: n: Y.name"}},
			shared: true,
			want:   []string{"owner: dev-alpha", "owner: prod-edge-1"},
		},
		{
			name: "the cluster read by a comprehension of the bundle",
			edits: []edit{{"bundles/core-basic.cue", `	apps: {
		"cert-manager": {`, `	apps: {
		if #cluster.name == "dev-alpha" {"cert-manager": values: "cert-manager": alpha: true}
		"cert-manager": {`}},
			want: []string{"alpha: true"},
		},
		{
			name:   "the whole settings, indexed",
			edits:  []edit{{"bundles/core-basic.cue", certValues, certValues + "\nnode: #cluster.settings[\"nodeType\"]"}},
			shared: true,
			want:   []string{"node: platform"},
		},
		{
			name: "a cluster setting a shared app's values",
			edits: []edit{{"clusters/dev/dev-alpha/cluster.cue", `values: "ingress-nginx"`, `values: "cert-manager": "cert-manager": alpha: true
	values: "ingress-nginx"`}},
			shared: true,
			want:   []string{"alpha: true"},
		},
		{
			name:  "a setting that is not there",
			edits: []edit{{"bundles/core-basic.cue", certValues, certValues + "\nx: #cluster.settings.missing"}},
			want:  []string{"error:"},
		},
		{
			name:   "the settings unified with a field of the values' own",
			edits:  []edit{{"bundles/core-basic.cue", certValues, certValues + "\nx: (#cluster.settings & {extra: 1}).nodeType"}},
			shared: true,
			want:   []string{"x: platform"},
		},
		{
			name:   "the view unified with a field of the values' own",
			edits:  []edit{{"bundles/core-basic.cue", certValues, certValues + "\nx: (#cluster & {extra: 1}).env"}},
			shared: true, // the other apps
			want:   []string{"x: dev", "x: prod"},
		},
		{
			name:  "an error in a shared value",
			edits: []edit{{"bundles/core-basic.cue", certValues, certValues + "\nx: 1 & 2"}},
			want:  []string{"error:", "conflicting values"},
		},
		{
			name:  "an error in a hidden field of a shared value",
			edits: []edit{{"bundles/core-basic.cue", certValues, certValues + "\n_x: 1 & 2"}},
			want:  []string{"error:", "conflicting values"},
		},
		{
			name:  "a schema of the team's own that constrains values",
			edits: []edit{{"schema/mine.cue", "", "package schema\n\n#Cluster: values: \"cert-manager\": \"cert-manager\": {marker: *\"schema\" | string, ...}\n"}},
			want:  []string{"marker: schema"},
		},
		{
			name:   "a Sveltos control plane",
			edits:  []edit{{"platform/platform.cue", `development: environments: ["dev", "staging"]`, `development: {environments: ["dev", "staging"], engine: "sveltos"}`}},
			shared: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "the reference platform" && tc.name != "an error in a shared value" {
				t.Skip("-short (-race in CI): the reference platform and an error")
			}
			if tc.trial > 0 {
				defer func(t int64) { eval.SharedTrial = t }(eval.SharedTrial)
				eval.SharedTrial = tc.trial
			}
			mod := t.TempDir()
			platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
			for _, e := range tc.edits {
				if e.old == "" {
					write(t, mod, e.file, e.new)
					continue
				}
				replaceIn(t, mod, e.file, e.old, e.new)
			}
			res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, LoadBatch: tc.batch})
			got := outcome(res, err)
			want := outcome(pipeline.Run(context.Background(), pipeline.Options{Dir: mod, NoSharing: true}))
			if got != want {
				t.Fatalf("shared values differ from separate ones:\nshared:\n%.4000s\nseparate:\n%.4000s", got, want)
			}
			// How many are shared after a trial depends on how far loading
			// ran ahead of evaluation.
			if err == nil && tc.trial == 0 && (res.Shared > 0) != tc.shared {
				t.Errorf("%d values shared, want some: %t", res.Shared, tc.shared)
			}
			for _, s := range tc.want {
				if !strings.Contains(got, s) {
					t.Errorf("the outcome lacks %q:\n%.3000s", s, got)
				}
			}
		})
	}
}

// TestBundleEditSharesValues: a bundle edit evaluates the edited apps
// again on the clusters that enable them (see build.reuse), sharing the
// values of those that read no more than the settings: prometheus-crds'
// values, the same on the three clusters, are evaluated once (and the
// other apps of its bundle that read only the settings are shared too).
func TestBundleEditSharesValues(t *testing.T) {
	mod := t.TempDir()
	platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
	c, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	build := func() (*pipeline.Result, string) {
		res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, Cache: c, Workers: 1})
		return res, outcome(res, err)
	}
	build()
	replaceIn(t, mod, "bundles/monitoring-basic.cue", `values: "prometheus-operator-crds": {}`, `values: "prometheus-operator-crds": {edited: 1}`)
	res, got := build()
	if res.Partly != 3 || res.Shared < 2 {
		t.Errorf("%d clusters evaluated in part, %d values shared; want 3 and at least 2", res.Partly, res.Shared)
	}
	if want := outcome(pipeline.Run(context.Background(), pipeline.Options{Dir: mod, NoSharing: true})); got != want || !strings.Contains(got, "edited: 1") {
		t.Fatalf("differs from a build without the cache or sharing:\n%.3000s\nwant:\n%.3000s", got, want)
	}
}
