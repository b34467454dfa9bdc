package render

import (
	"path"
	"strconv"

	"github.com/platformc/platformc/internal/model"
)

// ArgoCDDir holds, per control plane, what is applied to its ArgoCD:
// argocd/<control-plane>/applicationsets/ and argocd/<control-plane>/clusters/.
const ArgoCDDir = "argocd"

// ValuesRef is the ref name of the values repo source in every
// Application: its value file is read as $<ValuesRef>/<path>.
const ValuesRef = "valuesRepo"

// ArgoCD's cluster generator parameters, as its default (fasttemplate)
// templating reads them: the cluster secret's name and server, and the
// generator's values.
const (
	paramName   = "{{name}}"
	paramServer = "{{server}}"
	paramBranch = "{{values.branch}}"
)

// SyncWaveAnnotation orders Applications (and resources) in ArgoCD.
const SyncWaveAnnotation = "argocd.argoproj.io/sync-wave"

// ApplicationSetPath is where the ApplicationSet of app on a control plane
// is written.
func ApplicationSetPath(controlPlane, app string) string {
	return path.Join(ArgoCDDir, controlPlane, "applicationsets", app+".yaml")
}

// ChartPath is the path of an app's umbrella chart in its catalog repo.
func ChartPath(a *model.App) string { return "./" + path.Join(a.Category, a.Name) }

// ApplicationSets renders, for every ArgoCD control plane, one ApplicationSet per
// app with one cluster generator per environment of the control plane in
// which at least one cluster enables the app's bundle (in the order the
// control plane lists its environments). An app whose bundle no cluster of
// a control plane enables has no ApplicationSet there: an ApplicationSet
// without generators is refused by ArgoCD, and one selecting nothing would
// only be noise.
func ApplicationSets(p *model.Platform) ([]File, error) {
	enabled := enabledByEnv(p)
	var files []File
	for _, cp := range p.ControlPlanes() {
		if cp.Sveltos() {
			continue // ClusterProfiles deliver its apps
		}
		for _, a := range p.AllApps() {
			var gens []generator
			for _, env := range cp.Environments {
				if !enabled[env][a.Bundle] {
					continue
				}
				gens = append(gens, generator{Clusters: clusterGenerator{
					Selector: labelSelector{MatchLabels: map[string]string{"env": env, a.Bundle: "enabled"}},
					Values:   map[string]string{"branch": p.Defaults.Environments[env].Branch},
				}})
			}
			if len(gens) == 0 {
				continue
			}
			if err := pathNames(pathName{"control plane name", cp.Name}, pathName{"app name", a.Name}); err != nil {
				return nil, err
			}
			path := ApplicationSetPath(cp.Name, a.Name)
			data, err := document(applicationSet(p.Defaults, a, gens))
			if err != nil {
				return nil, renderError(path, err)
			}
			files = append(files, File{Path: path, Data: data})
		}
	}
	return files, nil
}

func applicationSet(d model.Defaults, a *model.App, gens []generator) appSet {
	return appSet{
		APIVersion: "argoproj.io/v1alpha1",
		Kind:       "ApplicationSet",
		Metadata:   objectMeta{Name: a.Name, Namespace: d.ArgoCD.Namespace},
		Spec: appSetSpec{
			Generators: gens,
			Template: appTemplate{
				Metadata: objectMeta{
					Name:        model.ApplicationName(paramName, a.Name),
					Annotations: map[string]string{SyncWaveAnnotation: strconv.Itoa(a.SyncWave)},
				},
				Spec: appSpec{
					Project:     a.ArgoCD.Project,
					Destination: destination{Server: paramServer, Namespace: a.Namespace},
					Sources: []appSource{{
						RepoURL:        d.ValuesRepo.URL,
						TargetRevision: d.ValuesRepo.Revision,
						Ref:            ValuesRef,
					}, {
						RepoURL:        a.ArgoCD.CatalogRepo.URL,
						TargetRevision: paramBranch,
						Path:           ChartPath(a),
						Helm: &helmSource{
							ReleaseName: a.ReleaseName,
							ValueFiles: []string{
								"values.yaml",
								"$" + path.Join(ValuesRef, ValuesPath(paramName, a)),
							},
						},
					}},
					SyncPolicy: syncPolicyOf(a.ArgoCD.SyncPolicy),
				},
			},
		},
	}
}

// syncPolicyOf is the Application sync policy, nil if it says nothing.
func syncPolicyOf(sp model.SyncPolicy) *syncPolicy {
	var out syncPolicy
	if sp.Automated.Enabled {
		out.Automated = &automated{Prune: sp.Automated.Prune, SelfHeal: sp.Automated.SelfHeal}
	}
	if sp.CreateNamespace {
		out.SyncOptions = append(out.SyncOptions, "CreateNamespace=true")
	}
	if out.Automated == nil && len(out.SyncOptions) == 0 {
		return nil
	}
	return &out
}

// The ApplicationSet as written: only the fields platformc sets.

type appSet struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       appSetSpec `json:"spec"`
}

type appSetSpec struct {
	Generators []generator `json:"generators"`
	Template   appTemplate `json:"template"`
}

type generator struct {
	Clusters clusterGenerator `json:"clusters"`
}

type clusterGenerator struct {
	Selector labelSelector     `json:"selector"`
	Values   map[string]string `json:"values"`
}

type labelSelector struct {
	MatchLabels map[string]string `json:"matchLabels"`
}

type appTemplate struct {
	Metadata objectMeta `json:"metadata"`
	Spec     appSpec    `json:"spec"`
}

type appSpec struct {
	Project     string      `json:"project"`
	Destination destination `json:"destination"`
	Sources     []appSource `json:"sources"`
	SyncPolicy  *syncPolicy `json:"syncPolicy,omitempty"`
}

type destination struct {
	Server    string `json:"server"`
	Namespace string `json:"namespace"`
}

type appSource struct {
	RepoURL        string      `json:"repoURL"`
	TargetRevision string      `json:"targetRevision"`
	Ref            string      `json:"ref,omitempty"`
	Path           string      `json:"path,omitempty"`
	Helm           *helmSource `json:"helm,omitempty"`
}

type helmSource struct {
	ReleaseName string   `json:"releaseName"`
	ValueFiles  []string `json:"valueFiles"`
}

type syncPolicy struct {
	Automated   *automated `json:"automated,omitempty"`
	SyncOptions []string   `json:"syncOptions,omitempty"`
}

type automated struct {
	Prune    bool `json:"prune"`
	SelfHeal bool `json:"selfHeal"`
}

// enabledByEnv maps each environment to the bundles some cluster of it
// enables: enabled[env][bundle].
func enabledByEnv(p *model.Platform) map[string]map[string]bool {
	enabled := map[string]map[string]bool{}
	for _, c := range p.Clusters {
		if enabled[c.Env] == nil {
			enabled[c.Env] = map[string]bool{}
		}
		for _, b := range c.Bundles {
			enabled[c.Env][b] = true
		}
	}
	return enabled
}
