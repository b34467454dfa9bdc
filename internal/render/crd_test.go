package render_test

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/openapi"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/internal/preview"
	"github.com/platformc/platformc/internal/render"
)

// secretSchema is Kubernetes' core/v1 Secret as its OpenAPI document
// describes it (the fields of the API reference; metadata is checked by
// openapi.ObjectMeta). Core objects have no CRD to copy.
const secretSchema = `
type: object
properties:
  apiVersion: {type: string}
  kind: {type: string}
  metadata: {type: object}
  data: {type: object, additionalProperties: {type: string, format: byte}}
  stringData: {type: object, additionalProperties: {type: string}}
  type: {type: string}
  immutable: {type: boolean}
`

// TestManifestsMatchUpstreamCRDs validates every manifest build writes for
// the reference platform, and every Application the preview says ArgoCD
// would generate from them, against the upstream schemas in
// ../shared/crds: ApplicationSet and Application from argo-cd v3.6.1, the
// registration Secret against core/v1 Secret. The TanzuKubernetesCluster is
// written as run.tanzu.vmware.com/v1alpha3, the version the platform runs,
// but no v1alpha3 CRD is published: its spec is validated against the
// v1alpha2 schema, whose topology and settings have the same shape (see
// shared/crds/README.md), and its apiVersion is checked on its own.
func TestManifestsMatchUpstreamCRDs(t *testing.T) {
	dir := platformtest.CRDDir(t)
	appSetCRD := loadCRD(t, filepath.Join(dir, "applicationset-crd.yaml"), "argoproj.io", "ApplicationSet")
	appCRD := loadCRD(t, filepath.Join(dir, "application-crd.yaml"), "argoproj.io", "Application")
	tkcCRD := loadCRD(t, filepath.Join(dir, "tanzukubernetescluster-v1alpha2-crd.yaml"), "run.tanzu.vmware.com", "TanzuKubernetesCluster")
	var rawSecret any
	if err := yaml.Unmarshal([]byte(secretSchema), &rawSecret); err != nil {
		t.Fatal(err)
	}
	secret, err := openapi.Parse(rawSecret)
	if err != nil {
		t.Fatal(err)
	}

	c := platformtest.Compile(t, nil)
	counts := map[string]int{}
	rendered := map[string]bool{}
	for _, f := range c.Files {
		rendered[f.Path] = true
	}
	for _, f := range c.Files {
		if strings.HasPrefix(f.Path, "cluster/") {
			continue // Helm values: no schema but the chart's
		}
		var obj map[string]any
		if err := yaml.Unmarshal(f.Data, &obj); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		kind := obj["apiVersion"].(string) + " " + obj["kind"].(string)
		counts[kind]++
		switch kind {
		case "argoproj.io/v1alpha1 ApplicationSet":
			validate(t, f.Path, appSetCRD.Versions["v1alpha1"], obj)
		case "v1 Secret":
			validate(t, f.Path, secret, obj)
		case render.TKCAPIVersion + " TanzuKubernetesCluster":
			// The v1alpha2 schema, as said above.
			validate(t, f.Path, tkcCRD.Versions["v1alpha2"], obj)
		case "kustomize.config.k8s.io/v1beta1 Kustomization":
			// No CRD: kustomize reads it. Every resource it lists must be
			// a rendered file beside it, and it has no other field.
			for k := range obj {
				if k != "apiVersion" && k != "kind" && k != "resources" {
					t.Errorf("%s: unexpected field %s", f.Path, k)
				}
			}
			for _, r := range obj["resources"].([]any) {
				if !rendered[path.Join(path.Dir(f.Path), r.(string))] {
					t.Errorf("%s: resource %s is not rendered", f.Path, r)
				}
			}
		default:
			t.Errorf("%s: %s has no schema to validate against", f.Path, kind)
		}
	}
	cps, err := preview.Read(c.Files, c.Platform.Defaults.ArgoCD.Namespace)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := preview.Applications(cps)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps {
		validate(t, a.ControlPlane+"/"+a.Name, appCRD.Versions["v1alpha1"], a.Manifest)
		counts["generated Application"]++
	}

	want := map[string]int{
		"argoproj.io/v1alpha1 ApplicationSet": 39,
		"v1 Secret":                           3,
		"run.tanzu.vmware.com/v1alpha3 TanzuKubernetesCluster": 3,
		"generated Application":                                52,
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("validated %d %s, want %d", counts[k], k, n)
		}
	}
}

func loadCRD(t *testing.T, path, group, kind string) *openapi.CRD {
	t.Helper()
	crd, err := openapi.LoadCRD(path)
	if err != nil {
		t.Fatal(err)
	}
	if crd.Group != group || crd.Kind != kind {
		t.Fatalf("%s defines %s %s, want %s %s", path, crd.Group, crd.Kind, group, kind)
	}
	return crd
}

func validate(t *testing.T, what string, s *openapi.Schema, obj map[string]any) {
	t.Helper()
	if s == nil {
		t.Fatalf("%s: no schema for this version", what)
	}
	for _, err := range s.ValidateObject(obj) {
		t.Errorf("%s: %v", what, err)
	}
}
