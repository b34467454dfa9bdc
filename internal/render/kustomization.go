package render

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/platformc/platformc/internal/model"
)

// KustomizationPath is the kustomization of a control plane's manifests.
func KustomizationPath(controlPlane string) string {
	return path.Join(ArgoCDDir, controlPlane, "kustomization.yaml")
}

// Kustomizations renders, for each ArgoCD control plane that has manifests, a
// kustomization.yaml listing its ApplicationSets and cluster registrations
// (paths relative to it, sorted), so that one bootstrap Application per
// control plane, or kubectl apply -k, deploys everything platformc emits
// there. files are the rendered ApplicationSets.
func Kustomizations(p *model.Platform, appSets []File) ([]File, error) {
	resources := map[string][]string{}
	add := func(file string) {
		rest, ok := strings.CutPrefix(file, ArgoCDDir+"/")
		if !ok {
			return
		}
		cp, res, ok := strings.Cut(rest, "/")
		if ok {
			resources[cp] = append(resources[cp], res)
		}
	}
	for _, f := range appSets {
		add(f.Path)
	}
	for _, c := range p.Clusters {
		if cp, ok := p.ControlPlaneOf(c.Env); ok && !cp.Sveltos() {
			add(RegistrationPath(cp.Name, c.Name))
		}
	}
	var files []File
	for _, cp := range slices.Sorted(maps.Keys(resources)) {
		res := resources[cp]
		slices.Sort(res)
		data, err := document(kustomization{
			APIVersion: "kustomize.config.k8s.io/v1beta1",
			Kind:       "Kustomization",
			Resources:  slices.Compact(res),
		})
		if err != nil {
			return nil, renderError(KustomizationPath(cp), err)
		}
		files = append(files, File{Path: KustomizationPath(cp), Data: data})
	}
	return files, nil
}

type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Resources  []string `json:"resources"`
}
