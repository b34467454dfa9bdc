package render_test

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/openapi"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/internal/render"
)

// SveltosOverlay switches the reference platform's development control
// plane to Sveltos, in one extra file, as the README shows.
var sveltosOverlay = map[string]string{"platform/sveltos.cue": `package platform

platform: controlPlanes: development: engine: "sveltos"
`}

// sveltosOptionsOverlay sets every optional Sveltos setting, and an app
// that does not create its namespace, so that what they write is checked
// too.
var sveltosOptionsOverlay = map[string]string{
	"platform/sveltos.cue": `package platform

platform: controlPlanes: development: engine: "sveltos"
platform: sveltos: {
	namespace:     "fleet"
	syncMode:      "ContinuousWithDriftDetection"
	takeOwnership: true
	flux: {namespace: "flux", name: "service-catalog", interval: "1m30s", secretRef: "catalog-credentials"}
}
`,
	"bundles/no-namespace.cue": `package bundles

bundles: "core-basic": apps: reloader: argocd: syncPolicy: createNamespace: false
`,
}

// configMapSchema is Kubernetes' core/v1 ConfigMap as its OpenAPI document
// describes it; metadata is checked by openapi.ObjectMeta.
const configMapSchema = `
type: object
properties:
  apiVersion: {type: string}
  kind: {type: string}
  metadata: {type: object}
  data: {type: object, additionalProperties: {type: string}}
  binaryData: {type: object, additionalProperties: {type: string, format: byte}}
  immutable: {type: boolean}
`

// TestSveltosManifestsMatchUpstreamCRDs validates every manifest build
// writes for a Sveltos control plane against the upstream schemas in
// ../shared/crds: ClusterProfile and SveltosCluster from Sveltos v1.14.0
// (addon-controller, libsveltos), GitRepository from Flux source-controller
// v1.9.1, the values ConfigMaps against core/v1, and the kustomization's
// resources against the rendered files. The ArgoCD control plane's files
// are checked by TestManifestsMatchUpstreamCRDs; here only that the
// Sveltos one has none.
func TestSveltosManifestsMatchUpstreamCRDs(t *testing.T) {
	dir := platformtest.CRDDir(t)
	profileCRD := loadCRD(t, filepath.Join(dir, "sveltos", "config.projectsveltos.io_clusterprofiles.yaml"), "config.projectsveltos.io", "ClusterProfile")
	clusterCRD := loadCRD(t, filepath.Join(dir, "sveltos", "lib.projectsveltos.io_sveltosclusters.yaml"), "lib.projectsveltos.io", "SveltosCluster")
	gitCRD := loadCRD(t, filepath.Join(dir, "flux", "source.toolkit.fluxcd.io_gitrepositories.yaml"), "source.toolkit.fluxcd.io", "GitRepository")
	var raw any
	if err := yaml.Unmarshal([]byte(configMapSchema), &raw); err != nil {
		t.Fatal(err)
	}
	configMap, err := openapi.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}

	for name, overlay := range map[string]map[string]string{"defaults": sveltosOverlay, "options": sveltosOptionsOverlay} {
		t.Run(name, func(t *testing.T) {
			c := platformtest.Compile(t, overlay)
			rendered := map[string]bool{}
			for _, f := range c.Files {
				rendered[f.Path] = true
			}
			counts := map[string]int{}
			for _, f := range c.Files {
				if strings.HasPrefix(f.Path, render.ArgoCDDir+"/development/") {
					t.Errorf("%s: the Sveltos control plane has ArgoCD manifests", f.Path)
				}
				if !strings.HasPrefix(f.Path, render.SveltosDir+"/") {
					continue
				}
				var obj map[string]any
				if err := yaml.Unmarshal(f.Data, &obj); err != nil {
					t.Fatalf("%s: %v", f.Path, err)
				}
				kind := obj["apiVersion"].(string) + " " + obj["kind"].(string)
				counts[kind]++
				switch kind {
				case render.ClusterProfileAPIVersion + " ClusterProfile":
					validateCluster(t, f.Path, profileCRD.Versions["v1beta1"], obj)
				case render.SveltosClusterAPIVersion + " SveltosCluster":
					validate(t, f.Path, clusterCRD.Versions["v1beta1"], obj)
				case render.GitRepositoryAPIVersion + " GitRepository":
					validate(t, f.Path, gitCRD.Versions["v1"], obj)
				case "v1 ConfigMap":
					validate(t, f.Path, configMap, obj)
				case "kustomize.config.k8s.io/v1beta1 Kustomization":
					for k := range obj {
						if k != "apiVersion" && k != "kind" && k != "resources" {
							t.Errorf("%s: unexpected field %s", f.Path, k)
						}
					}
					listed := map[string]bool{}
					for _, r := range obj["resources"].([]any) {
						p := path.Join(path.Dir(f.Path), r.(string))
						listed[p] = true
						if !rendered[p] {
							t.Errorf("%s: resource %s is not rendered", f.Path, r)
						}
					}
					// It lists every manifest of its control plane.
					for p := range rendered {
						if strings.HasPrefix(p, path.Dir(f.Path)+"/") && p != f.Path && !listed[p] {
							t.Errorf("%s does not list %s", f.Path, p)
						}
					}
				default:
					t.Errorf("%s: %s has no schema to validate against", f.Path, kind)
				}
			}
			want := map[string]int{
				render.ClusterProfileAPIVersion + " ClusterProfile": 9, // 6 bundles in staging, 3 in dev
				render.SveltosClusterAPIVersion + " SveltosCluster": 2,
				render.GitRepositoryAPIVersion + " GitRepository":   1, // dev and staging share the branch development
				"v1 ConfigMap": 34, // 13 apps on dev-alpha, 21 on armored-core-development
				"kustomize.config.k8s.io/v1beta1 Kustomization": 1,
			}
			for k, n := range want {
				if counts[k] != n {
					t.Errorf("validated %d %s, want %d", counts[k], k, n)
				}
			}
		})
	}
}

// validateCluster validates a cluster-scoped object.
func validateCluster(t *testing.T, what string, s *openapi.Schema, obj map[string]any) {
	t.Helper()
	if s == nil {
		t.Fatalf("%s: no schema for this version", what)
	}
	for _, err := range s.ValidateClusterObject(obj) {
		t.Errorf("%s: %v", what, err)
	}
}
