package preview_test

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/internal/preview"
	"github.com/platformc/platformc/internal/render"
)

// The Sveltos closure invariant, as checkClosure's for ArgoCD: for every
// cluster of a Sveltos control plane and every app of every bundle it
// enables, exactly one ClusterProfile on that control plane installs it,
// with that cluster's values (the bytes of its values file); no profile
// deploys to a cluster that does not enable the bundle; every values
// ConfigMap is used exactly once; every such cluster has one SveltosCluster,
// on its control plane, with the labels of its TKC. What Sveltos would
// install is computed by the preview from the rendered YAML.
//
// The equivalence: switching control planes to Sveltos deploys the same
// (cluster, app, namespace, release, chart path, catalog branch, values
// bytes) as ArgoCD does. (Both read the chart's own values.yaml first:
// ArgoCD as its first value file, Helm as the chart's defaults.)

// switchTo is a platform file giving the control planes engine "sveltos".
func switchTo(cps ...string) string {
	var b strings.Builder
	b.WriteString("package platform\n\n")
	for _, cp := range cps {
		fmt.Fprintf(&b, "platform: controlPlanes: %q: engine: \"sveltos\"\n", cp)
	}
	return b.String()
}

func TestSveltosReference(t *testing.T) {
	argo := platformtest.Compile(t, nil)
	sv := platformtest.Compile(t, map[string]string{"platform/sveltos.cue": switchTo("development")})
	if n := checkSveltosClosure(t, sv); n != 34 {
		t.Errorf("%d Sveltos releases on the reference platform's development control plane, want 34 (13 on dev-alpha, 21 on armored-core-development)", n)
	}
	if n := checkClosure(t, sv); n != 18 {
		t.Errorf("%d Applications left on production, want prod-edge-1's 18", n)
	}
	checkEquivalent(t, argo, sv)
}

// TestSveltosGenerated checks both on the generated platforms of
// TestClosureGenerated, each with a random, non-empty set of its control
// planes switched to Sveltos.
func TestSveltosGenerated(t *testing.T) {
	ref := platformtest.Compile(t, nil).Platform
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			overlay := generatePlatform(ref, rng)
			cps := []string{"development", "production", "quality"}
			var sveltos []string
			for len(sveltos) == 0 {
				for _, cp := range cps {
					if rng.IntN(2) == 0 {
						sveltos = append(sveltos, cp)
					}
				}
			}
			argo := platformtest.Compile(t, overlay)
			switched := maps.Clone(overlay)
			switched["platform/sveltos.cue"] = switchTo(sveltos...)
			sv := platformtest.Compile(t, switched)
			checkSveltosClosure(t, sv)
			checkClosure(t, sv)
			checkEquivalent(t, argo, sv)
		})
	}
}

// checkSveltosClosure checks the invariant and returns the number of
// releases.
func checkSveltosClosure(t *testing.T, c *platformtest.Compiled) int {
	t.Helper()
	p := c.Platform
	cps, err := preview.ReadSveltos(c.Files)
	if err != nil {
		t.Fatal(err)
	}
	releases, err := preview.Releases(cps)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range c.Files {
		files[f.Path] = f.Data
	}
	configMaps := map[string]int{} // namespace/name of a values ConfigMap → releases reading it
	for _, f := range c.Files {
		if _, ok := render.SveltosValuesApp(f.Path); ok {
			var cm struct {
				Metadata struct{ Name, Namespace string }
			}
			if err := yaml.Unmarshal(f.Data, &cm); err != nil {
				t.Fatal(err)
			}
			configMaps[cm.Metadata.Namespace+"/"+cm.Metadata.Name] = 0
		}
	}
	clusters := map[string]*model.Cluster{}
	for _, cl := range p.Clusters {
		if cp, _ := p.ControlPlaneOf(cl.Env); cp.Sveltos() {
			clusters[cl.Name] = cl
		}
	}
	byChart := map[string]*model.App{}
	for _, a := range p.AllApps() {
		byChart[render.ChartPath(a)] = a
	}

	// Each cluster has one SveltosCluster, on its control plane, with its
	// TKC's labels; no control plane delivers with both engines.
	registered := map[string][]string{}
	for _, cp := range cps {
		if len(cp.Profiles)+len(cp.Clusters) > 0 {
			if _, ok := p.Defaults.ControlPlanes[cp.Name]; !ok || !p.Defaults.ControlPlanes[cp.Name].Sveltos() {
				t.Errorf("control plane %s has Sveltos manifests but is not a Sveltos control plane", cp.Name)
			}
		}
		for _, sc := range cp.Clusters {
			registered[sc.Name] = append(registered[sc.Name], cp.Name)
			if cl := clusters[sc.Name]; cl != nil && !maps.Equal(sc.Labels, cl.Labels) {
				t.Errorf("SveltosCluster %s has labels %v, its TKC %v", sc.Name, sc.Labels, cl.Labels)
			}
		}
	}
	for _, cl := range p.Clusters {
		cp, _ := p.ControlPlaneOf(cl.Env)
		want := []string(nil)
		if cp.Sveltos() {
			want = []string{cp.Name}
		}
		if got := registered[cl.Name]; !slices.Equal(got, want) {
			t.Errorf("cluster %s has SveltosClusters on %v, want %v", cl.Name, got, want)
		}
	}
	for _, f := range c.Files {
		rest, ok := strings.CutPrefix(f.Path, render.ArgoCDDir+"/")
		if cp, _, _ := strings.Cut(rest, "/"); ok && p.Defaults.ControlPlanes[cp].Sveltos() {
			t.Errorf("%s: ArgoCD manifests for Sveltos control plane %s", f.Path, cp)
		}
	}

	// No profile deploys to a cluster that does not enable the bundle, and
	// every release reads that cluster's values, once.
	installs := map[string][]preview.SveltosRelease{} // cluster/app → releases
	for _, r := range releases {
		cl, ok := clusters[r.Cluster]
		if !ok {
			t.Errorf("clusterprofile %s on %s deploys to %q, which is not a cluster of a Sveltos control plane", r.ClusterProfile, r.ControlPlane, r.Cluster)
			continue
		}
		app, ok := byChart[r.ChartPath]
		if !ok {
			t.Errorf("clusterprofile %s deploys chart %s, which is no app's", r.ClusterProfile, r.ChartPath)
			continue
		}
		if !slices.Contains(cl.Bundles, app.Bundle) {
			t.Errorf("clusterprofile %s (%s) deploys %s to cluster %s, which does not enable bundle %s", r.ClusterProfile, r.SelectedBy, app.Name, cl.Name, app.Bundle)
		}
		installs[cl.Name+"/"+app.Name] = append(installs[cl.Name+"/"+app.Name], r)
		for _, vf := range r.ValuesFrom {
			key := vf.Namespace + "/" + vf.Name
			if _, ok := configMaps[key]; !ok {
				t.Errorf("clusterprofile %s reads ConfigMap %s for %s, which build does not write", r.ClusterProfile, key, cl.Name)
				continue
			}
			configMaps[key]++
		}
		want := files[render.ValuesPath(cl.Name, app)]
		if len(r.Values) != 1 || !bytes.Equal(r.Values[0], want) {
			t.Errorf("cluster %s, app %s: Sveltos reads %d value documents, want the %d bytes of its values file", cl.Name, app.Name, len(r.Values), len(want))
		}
	}

	// Every app of every enabled bundle is installed exactly once, from the
	// env's catalog branch, as the model says.
	for _, cl := range clusters {
		cp, _ := p.ControlPlaneOf(cl.Env)
		for _, app := range p.Apps(cl) {
			rs := installs[cl.Name+"/"+app.Name]
			if len(rs) != 1 {
				t.Errorf("cluster %s, app %s: %d profiles install it, want exactly 1", cl.Name, app.Name, len(rs))
				continue
			}
			got := rs[0]
			want := preview.SveltosRelease{
				Cluster: cl.Name, ControlPlane: cp.Name, ClusterProfile: model.ProfileName(app.Bundle, cl.Env),
				Namespace: app.Namespace, Release: app.ReleaseName, ChartPath: render.ChartPath(app),
				Revision: p.Defaults.Environments[cl.Env].Branch, RepoURL: model.FluxURL(app.ArgoCD.CatalogRepo.URL),
				SelectedBy: "clusterSelector",
			}
			got = preview.SveltosRelease{
				Cluster: got.Cluster, ControlPlane: got.ControlPlane, ClusterProfile: got.ClusterProfile,
				Namespace: got.Namespace, Release: got.Release, ChartPath: got.ChartPath,
				Revision: got.Revision, RepoURL: got.RepoURL, SelectedBy: got.SelectedBy,
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("cluster %s, app %s:\n got %+v\nwant %+v", cl.Name, app.Name, got, want)
			}
		}
	}

	for key, n := range configMaps {
		if n != 1 {
			t.Errorf("values ConfigMap %s is read by %d releases, want 1", key, n)
		}
	}
	return len(releases)
}

// deployment is what the equivalence compares.
type deployment struct {
	cluster, app, namespace, release, chartPath, branch, values string
}

// checkEquivalent checks that sv deploys what argo does, argo being the
// same platform with every control plane on ArgoCD.
func checkEquivalent(t *testing.T, argo, sv *platformtest.Compiled) {
	t.Helper()
	for _, cp := range argo.Platform.ControlPlanes() {
		if cp.Sveltos() {
			t.Fatalf("the ArgoCD platform has Sveltos control plane %s", cp.Name)
		}
	}
	want, got := deployments(t, argo), deployments(t, sv)
	if len(want) == 0 {
		t.Fatal("nothing deployed")
	}
	for d := range want {
		if !got[d] {
			t.Errorf("ArgoCD deploys %s to %s (%s/%s from %s at %s), the platform with Sveltos does not", d.app, d.cluster, d.namespace, d.release, d.chartPath, d.branch)
		}
	}
	for d := range got {
		if !want[d] {
			t.Errorf("the platform with Sveltos deploys %s to %s (%s/%s from %s at %s), ArgoCD does not", d.app, d.cluster, d.namespace, d.release, d.chartPath, d.branch)
		}
	}
}

// deployments are what the preview says the platform deploys, by either
// engine, each with the bytes of its per-cluster values.
func deployments(t *testing.T, c *platformtest.Compiled) map[deployment]bool {
	t.Helper()
	files := map[string][]byte{}
	for _, f := range c.Files {
		files[f.Path] = f.Data
	}
	out := map[deployment]bool{}
	add := func(d deployment) {
		if out[d] {
			t.Errorf("%s deployed twice to %s", d.app, d.cluster)
		}
		out[d] = true
	}
	argoCPs, err := preview.Read(c.Files, c.Platform.Defaults.ArgoCD.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := preview.Applications(argoCPs)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		vfs, err := a.ResolveValueFiles()
		if err != nil {
			t.Fatal(err)
		}
		var values []byte
		for _, vf := range vfs {
			if vf.RepoURL == c.Platform.Defaults.ValuesRepo.URL {
				values = append(values, files[vf.Path]...)
			}
		}
		add(deployment{a.Cluster, path.Base(a.ChartPath), a.Namespace, a.Release, path.Clean(a.ChartPath), a.Revision, string(values)})
	}
	svCPs, err := preview.ReadSveltos(c.Files)
	if err != nil {
		t.Fatal(err)
	}
	releases, err := preview.Releases(svCPs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range releases {
		add(deployment{r.Cluster, path.Base(r.ChartPath), r.Namespace, r.Release, path.Clean(r.ChartPath), r.Revision, string(bytes.Join(r.Values, nil))})
	}
	return out
}
