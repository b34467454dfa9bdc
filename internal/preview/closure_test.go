package preview_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/internal/preview"
	"github.com/platformc/platformc/internal/render"
)

// The closure invariant ties the three outputs together: for every cluster
// and every app of every bundle it enables, exactly one generator of
// exactly one ApplicationSet on the cluster's control plane selects it,
// and the Application's $valuesRepo value file is among the rendered
// files; no generator selects a cluster that does not enable the bundle;
// every values file is used by exactly one Application. What ArgoCD would
// generate is computed by the preview from the rendered YAML; what should
// be deployed comes from the model.

func TestClosureReference(t *testing.T) {
	c := platformtest.Compile(t, nil)
	if n := checkClosure(t, c); n != 52 {
		t.Errorf("%d Applications on the reference platform, want one per values file (52)", n)
	}
}

// TestClosureGenerated checks the invariant on platforms made from the
// reference one: a fourth environment with its own control plane, and
// clusters in every environment with random choices of the optional
// bundles (requirements honoured), so that some control planes have apps
// no cluster of theirs enables. The seeds are fixed: a failure reproduces.
func TestClosureGenerated(t *testing.T) {
	ref := platformtest.Compile(t, nil).Platform
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			overlay := generatePlatform(ref, rand.New(rand.NewPCG(seed, 42)))
			c := platformtest.Compile(t, overlay)
			if len(c.Platform.Clusters) <= len(ref.Clusters) {
				t.Fatalf("the generated clusters were not evaluated: %d clusters", len(c.Platform.Clusters))
			}
			checkClosure(t, c)
		})
	}
}

// generatePlatform returns CUE files, by path, to lay over the reference
// platform.
func generatePlatform(ref *model.Platform, rng *rand.Rand) map[string]string {
	files := map[string]string{
		"platform/generated.cue": `package platform

platform: environments: qa: branch: "qa"
platform: controlPlanes: quality: environments: ["qa"]
`,
		"clusters/qa/env.cue": `package clusters

clusters: [_]: {
	env: "qa"
	controlPlane: {vmClass: "best-effort-small", storageClass: "vsan-default-storage-policy"}
}
`,
	}
	var required, optional []string
	for _, name := range sortedBundles(ref) {
		if ref.Bundles[name].Required {
			required = append(required, name)
		} else {
			optional = append(optional, name)
		}
	}
	envs := []string{"dev", "staging", "prod", "qa"}
	n := 3 + rng.IntN(6)
	for i := range n {
		env := envs[rng.IntN(len(envs))]
		bundles := slices.Clone(required)
		for _, b := range optional {
			if rng.IntN(2) == 0 {
				bundles = append(bundles, b)
			}
		}
		// Add what the chosen bundles require, until nothing is missing.
		for changed := true; changed; {
			changed = false
			for _, b := range bundles {
				for _, r := range ref.Bundles[b].Requires {
					if !slices.Contains(bundles, r) {
						bundles = append(bundles, r)
						changed = true
					}
				}
			}
		}
		name := fmt.Sprintf("gen-%s-%d", env, i)
		files[fmt.Sprintf("clusters/%s/%s/cluster.cue", env, name)] = fmt.Sprintf(`package clusters

clusters: %q: {
	vsphereNamespace: "gen-%s"
	server:           "https://10.99.%d.%d:6443"
	tkr:              "v1.29.4---vmware.3-fips.1-tkg.1"
	bundles: [%s]
	labels: team: "gen"
}
`, name, env, rng.IntN(250), i+1, quoteAll(bundles))
	}
	return files
}

// checkClosure checks the invariant and returns the number of Applications.
func checkClosure(t *testing.T, c *platformtest.Compiled) int {
	t.Helper()
	p := c.Platform
	cps, err := preview.Read(c.Files, p.Defaults.ArgoCD.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := preview.Applications(cps)
	if err != nil {
		t.Fatal(err)
	}
	// Clusters of Sveltos control planes are checked by
	// checkSveltosClosure: ArgoCD must not see them.
	clusters := map[string]*model.Cluster{}
	for _, cl := range p.Clusters {
		if cp, _ := p.ControlPlaneOf(cl.Env); !cp.Sveltos() {
			clusters[cl.Name] = cl
		}
	}
	valuesFiles := map[string]int{} // rendered values file → Applications using it
	for _, f := range c.Files {
		if parts := strings.Split(f.Path, "/"); parts[0] == "cluster" && clusters[parts[1]] != nil {
			valuesFiles[f.Path] = 0
		}
	}
	byChart := map[string]*model.App{}
	for _, a := range p.AllApps() {
		byChart[render.ChartPath(a)] = a
	}

	// Each cluster is registered once, on the control plane of its env.
	registered := map[string][]string{}
	for _, cp := range cps {
		for _, cl := range cp.Clusters {
			registered[cl.Name] = append(registered[cl.Name], cp.Name)
		}
	}
	for _, cl := range p.Clusters {
		cp, ok := p.ControlPlaneOf(cl.Env)
		if !ok {
			t.Fatalf("cluster %s: no control plane for env %s", cl.Name, cl.Env)
		}
		if cp.Sveltos() {
			if got := registered[cl.Name]; got != nil {
				t.Errorf("cluster %s of Sveltos control plane %s is registered with ArgoCD on %v", cl.Name, cp.Name, got)
			}
			continue
		}
		if got := registered[cl.Name]; !slices.Equal(got, []string{cp.Name}) {
			t.Errorf("cluster %s is registered on %v, want [%s]", cl.Name, got, cp.Name)
		}
	}

	// No generator selects a cluster that does not enable the bundle, and
	// every Application's values file is rendered.
	selections := map[string]int{} // cluster/app → Applications generated
	for _, a := range apps {
		cl, ok := clusters[a.Cluster]
		if !ok {
			t.Errorf("%s (applicationset %s on %s) deploys to %q, which is not a cluster of the platform", a.Name, a.ApplicationSet, a.ControlPlane, a.Cluster)
			continue
		}
		app, ok := byChart[a.ChartPath]
		if !ok {
			t.Errorf("%s deploys chart %s, which is no app's", a.Name, a.ChartPath)
			continue
		}
		if !slices.Contains(cl.Bundles, app.Bundle) {
			t.Errorf("%s: applicationset %s on %s selects cluster %s, which does not enable bundle %s", a.Name, a.ApplicationSet, a.ControlPlane, cl.Name, app.Bundle)
		}
		selections[cl.Name+"/"+app.Name]++
		files, err := a.ResolveValueFiles()
		if err != nil {
			t.Error(err)
			continue
		}
		fromValuesRepo := 0
		for _, f := range files {
			if f.RepoURL != p.Defaults.ValuesRepo.URL {
				continue
			}
			fromValuesRepo++
			if f.Revision != p.Defaults.ValuesRepo.Revision {
				t.Errorf("%s reads the values repo at %s, not %s", a.Name, f.Revision, p.Defaults.ValuesRepo.Revision)
			}
			if _, ok := valuesFiles[f.Path]; !ok {
				t.Errorf("%s reads %s from the values repo, which build does not write", a.Name, f.Path)
				continue
			}
			valuesFiles[f.Path]++
		}
		if fromValuesRepo != 1 {
			t.Errorf("%s reads %d value files from the values repo, want 1", a.Name, fromValuesRepo)
		}
	}

	// Every app of every enabled bundle is generated exactly once, on the
	// cluster's control plane, as the model says.
	for _, cl := range p.Clusters {
		cp, _ := p.ControlPlaneOf(cl.Env)
		if cp.Sveltos() {
			continue
		}
		for _, app := range p.Apps(cl) {
			if n := selections[cl.Name+"/"+app.Name]; n != 1 {
				t.Errorf("cluster %s, app %s: %d generators select it, want exactly 1", cl.Name, app.Name, n)
				continue
			}
			i := slices.IndexFunc(apps, func(a preview.Application) bool {
				return a.Cluster == cl.Name && a.ChartPath == render.ChartPath(app)
			})
			a := apps[i]
			want := preview.Application{
				Cluster: cl.Name, Name: model.ApplicationName(cl.Name, app.Name), ControlPlane: cp.Name,
				Namespace: app.Namespace, Revision: p.Defaults.Environments[cl.Env].Branch, Server: cl.Server,
				Project: app.ArgoCD.Project, RepoURL: app.ArgoCD.CatalogRepo.URL,
			}
			got := preview.Application{
				Cluster: a.Cluster, Name: a.Name, ControlPlane: a.ControlPlane,
				Namespace: a.Namespace, Revision: a.Revision, Server: a.Server,
				Project: a.Project, RepoURL: a.RepoURL,
			}
			if !equalApp(got, want) {
				t.Errorf("cluster %s, app %s:\n got %+v\nwant %+v", cl.Name, app.Name, got, want)
			}
		}
	}

	// Every values file is used by exactly one Application.
	for path, n := range valuesFiles {
		if n != 1 {
			t.Errorf("values file %s is used by %d Applications, want 1", path, n)
		}
	}
	return len(apps)
}

func equalApp(a, b preview.Application) bool {
	return a.Cluster == b.Cluster && a.Name == b.Name && a.ControlPlane == b.ControlPlane &&
		a.Namespace == b.Namespace && a.Revision == b.Revision && a.Server == b.Server &&
		a.Project == b.Project && a.RepoURL == b.RepoURL
}

func sortedBundles(p *model.Platform) []string {
	var names []string
	for n := range p.Bundles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
