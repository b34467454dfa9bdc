package render

import (
	"fmt"
	"maps"
	"path"

	"github.com/platformc/platformc/internal/model"
)

// ArgoCD's label on the Secrets that register clusters.
const (
	SecretTypeLabel   = "argocd.argoproj.io/secret-type"
	SecretTypeCluster = "cluster"
)

// RegistrationPath is where the registration of a cluster with its
// control plane's ArgoCD is written.
func RegistrationPath(controlPlane, cluster string) string {
	return path.Join(ArgoCDDir, controlPlane, "clusters", cluster+".yaml")
}

// RegistrationSecretName is the name of a cluster's registration Secret.
func RegistrationSecretName(cluster string) string { return "cluster-" + cluster }

// Registrations renders every cluster's ArgoCD registration.
func Registrations(p *model.Platform) ([]File, error) {
	return eachCluster(p, Registration)
}

// Registration renders the declarative ArgoCD registration of a cluster on
// the control plane that manages its environment: a Secret labelled as a
// cluster secret and with the cluster's labels (what the ApplicationSets
// select on), holding the cluster's name and server. It holds no
// credentials: the config key (bearer token, TLS data) is merged into the
// Secret when it is applied, from the team's secret store.
func Registration(p *model.Platform, c *model.Cluster) (File, error) {
	cp, ok := p.ControlPlaneOf(c.Env)
	if !ok {
		return File{}, fmt.Errorf("cluster %q: no control plane manages env %q", c.Name, c.Env)
	}
	if cp.Sveltos() {
		return File{}, fmt.Errorf("cluster %q: control plane %q delivers with Sveltos: the cluster has a SveltosCluster, not an ArgoCD registration", c.Name, cp.Name)
	}
	labels := maps.Clone(c.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[SecretTypeLabel] = SecretTypeCluster
	if err := pathNames(pathName{"control plane name", cp.Name}, pathName{"cluster name", c.Name}); err != nil {
		return File{}, err
	}
	path := RegistrationPath(cp.Name, c.Name)
	data, err := document(secret{
		APIVersion: "v1",
		Kind:       "Secret",
		Metadata: objectMeta{
			Name:      RegistrationSecretName(c.Name),
			Namespace: p.Defaults.ArgoCD.Namespace,
			Labels:    labels,
		},
		Type:       "Opaque",
		StringData: map[string]string{"name": c.Name, "server": c.Server},
	})
	if err != nil {
		return File{}, renderError(path, err)
	}
	return File{Path: path, Data: data}, nil
}

type secret struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   objectMeta        `json:"metadata"`
	Type       string            `json:"type"`
	StringData map[string]string `json:"stringData"`
}
