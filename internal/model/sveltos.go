package model

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The engines a control plane delivers apps with.
const (
	EngineArgoCD  = "argocd"
	EngineSveltos = "sveltos"
)

// Sveltos mirrors schema.#Sveltos: what the control planes with engine
// "sveltos" share.
type Sveltos struct {
	// Namespace holds the SveltosClusters and the values ConfigMaps.
	Namespace     string `json:"namespace"`
	SyncMode      string `json:"syncMode"`
	TakeOwnership bool   `json:"takeOwnership"`
	Flux          Flux   `json:"flux"`
}

// Flux is where the GitRepositories of the service catalog live.
type Flux struct {
	Namespace string `json:"namespace"`
	// Name is the prefix of the GitRepositories' names.
	Name      string `json:"name"`
	Interval  string `json:"interval"`
	SecretRef string `json:"secretRef,omitempty"`
}

// Sveltos reports whether Sveltos delivers the control plane's apps.
func (cp ControlPlane) Sveltos() bool { return cp.Engine == EngineSveltos }

// ProfileName is the name of the ClusterProfile that deploys bundle to the
// clusters of env.
func ProfileName(bundle, env string) string { return bundle + "-" + env }

// ValuesConfigMapName is the name of the ConfigMap holding the values of
// app on cluster: the Application name, unique on the platform for the
// same reason.
func ValuesConfigMapName(cluster, app string) string { return ApplicationName(cluster, app) }

// SourceName is the name of the Flux GitRepository of repoURL at branch:
// <flux.name>-<branch>, the branch lowercased and every character that
// cannot be in a Kubernetes name replaced by "-"; a repo other than the
// platform's catalog (an app's argocd.catalogRepo) gets the first eight hex
// digits of its URL's SHA-256 as a suffix, so that the two never share a
// name. The result may collide or be too long; the checks say so.
func (d Defaults) SourceName(repoURL, branch string) string {
	var b strings.Builder
	b.WriteString(d.Sveltos.Flux.Name)
	b.WriteByte('-')
	dash := true
	for _, r := range strings.ToLower(branch) {
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimRight(b.String(), "-")
	if repoURL != d.CatalogRepo.URL {
		sum := sha256.Sum256([]byte(repoURL))
		name += "-" + hex.EncodeToString(sum[:4])
	}
	return name
}

// FluxURL is repoURL as a Flux GitRepository takes it: https:// and ssh://
// URLs as they are, and git's scp-like form (user@host:org/repo, the only
// other form #RepoURL accepts), which Flux refuses, as the ssh:// URL git
// treats the same way (ssh://user@host/org/repo).
func FluxURL(repoURL string) string {
	if strings.Contains(repoURL, "://") {
		return repoURL
	}
	userHost, path, ok := strings.Cut(repoURL, ":")
	if !ok {
		return repoURL
	}
	return "ssh://" + userHost + "/" + strings.TrimPrefix(path, "/")
}

// SveltosControlPlanes returns the control planes with engine "sveltos",
// sorted by name.
func (p *Platform) SveltosControlPlanes() []ControlPlane {
	var cps []ControlPlane
	for _, cp := range p.ControlPlanes() {
		if cp.Sveltos() {
			cps = append(cps, cp)
		}
	}
	return cps
}
