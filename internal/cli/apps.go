package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/preview"
)

type appsFlags struct {
	commonFlags
	formatFlag
}

func newAppsCmd() *cobra.Command {
	var f appsFlags
	cmd := &cobra.Command{
		Use:   "apps [PATTERN...] [-o text|json|yaml]",
		Short: "List what ArgoCD and Sveltos will deploy to the selected clusters",
		Long: `Apps builds the selected clusters in memory, as build does, and lists what
will be deployed from what build writes. For an ArgoCD control plane, the
Applications ArgoCD will generate: it reads back the ApplicationSets and
cluster registration Secrets and does what ArgoCD's ApplicationSet
controller does with them (cluster generator label selection, {{name}},
{{server}} and {{values.branch}} substitution). For a control plane with
engine "sveltos", the Helm releases Sveltos will install: it reads back the
ClusterProfiles, SveltosClusters, GitRepositories and values ConfigMaps and
does what Sveltos' addon-controller does with them (clusterSelector
matching, dependsOn, the {{ .ClusterName }} templates of valuesFrom names,
the Flux source of each chart). It shows what the engines do with the
manifests, not what the platform meant, so a selector and a label that
disagree show here; so do a template reading an unknown key, a values
ConfigMap missing for a selected cluster, and two profiles installing one
release on a cluster, which are errors.

Columns: cluster, the Application (ArgoCD) or ClusterProfile (Sveltos)
that deploys the chart, control plane, engine, namespace, Helm release,
chart path and catalog revision, and the values: the Helm value files, or
the ConfigMaps read. -o json and -o yaml add, for ArgoCD, the project,
server, repo URL and the ApplicationSet and generator that made each
Application; for Sveltos, the repo URL, the GitRepository, the chart's
repositoryURL and index in the profile, why the profile deploys to the
cluster (its clusterSelector, or the dependsOn of another profile) and the
profile's syncMode.

` + patternHelp + `

Exit status: 0 listed, 1 errors in the platform (or in the generated
manifests), 2 wrong command line.`,
		Example: `  platformc apps ./clusters/staging/armored-core-development   # what one cluster gets
  platformc apps -o json | jq -r '.[].application // empty'   # every Application name`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApps(cmd, args, &f)
		},
	}
	f.commonFlags.register(cmd)
	f.formatFlag.register(cmd)
	return cmd
}

func runApps(cmd *cobra.Command, patterns []string, f *appsFlags) error {
	c, err := compile(cmd, &f.commonFlags, pipeline.Options{Patterns: patterns, Placeholders: true})
	if err != nil {
		return err
	}
	cps, err := preview.Read(c.Files, c.Platform.Defaults.ArgoCD.Namespace)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "preview: " + err.Error()}
	}
	apps, err := preview.Applications(cps)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "preview: " + err.Error()}
	}
	scps, err := preview.ReadSveltos(c.Files)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "preview: " + err.Error()}
	}
	releases, err := preview.Releases(scps)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: "preview: " + err.Error()}
	}
	if err := printData(cmd, f.format, newAppRows(apps, releases)); err != nil {
		return err
	}
	if !f.quiet {
		n := len(c.Platform.Clusters)
		what := fmt.Sprintf("%d applications", len(apps))
		switch {
		case len(releases) > 0 && len(apps) == 0:
			what = fmt.Sprintf("%d Sveltos releases", len(releases))
		case len(releases) > 0:
			what += fmt.Sprintf(" and %d Sveltos releases", len(releases))
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "apps: %s on %d cluster%s\n", what, n, plural(n))
	}
	return nil
}

// appRows are what apps prints: the Applications ArgoCD would generate and
// the releases Sveltos would install, by cluster (a cluster has one
// engine), each engine's rows in its own order.
type appRows []appRow

// appRow is one row: an Application or a Sveltos release.
type appRow struct {
	argo    *argoRow
	sveltos *sveltosRow
}

// argoRow is an Application as -o json and -o yaml print it.
type argoRow struct {
	Cluster        string   `json:"cluster"`
	Application    string   `json:"application"`
	ControlPlane   string   `json:"controlPlane"`
	Engine         string   `json:"engine"`
	Namespace      string   `json:"namespace"`
	Release        string   `json:"release"`
	ChartPath      string   `json:"chartPath"`
	Revision       string   `json:"revision"`
	ValueFiles     []string `json:"valueFiles"`
	Project        string   `json:"project"`
	Server         string   `json:"server"`
	RepoURL        string   `json:"repoURL"`
	ApplicationSet string   `json:"applicationSet"`
	Generator      int      `json:"generator"`
}

// sveltosRow is a Sveltos release as -o json and -o yaml print it.
type sveltosRow struct {
	Cluster        string         `json:"cluster"`
	ClusterProfile string         `json:"clusterProfile"`
	ControlPlane   string         `json:"controlPlane"`
	Engine         string         `json:"engine"`
	Namespace      string         `json:"namespace"`
	Release        string         `json:"release"`
	ChartPath      string         `json:"chartPath"`
	Revision       string         `json:"revision"`
	ValuesFrom     []valuesFromID `json:"valuesFrom"`
	RepoURL        string         `json:"repoURL"`
	Source         string         `json:"source"`
	RepositoryURL  string         `json:"repositoryURL"`
	HelmChart      int            `json:"helmChart"`
	SelectedBy     string         `json:"selectedBy"`
	SyncMode       string         `json:"syncMode"`
}

type valuesFromID struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func newAppRows(apps []preview.Application, releases []preview.SveltosRelease) appRows {
	rows := appRows{}
	for _, a := range apps {
		rows = append(rows, appRow{argo: &argoRow{
			Cluster: a.Cluster, Application: a.Name, ControlPlane: a.ControlPlane, Engine: model.EngineArgoCD,
			Namespace: a.Namespace, Release: a.Release, ChartPath: a.ChartPath, Revision: a.Revision,
			ValueFiles: a.ValueFiles, Project: a.Project, Server: a.Server, RepoURL: a.RepoURL,
			ApplicationSet: a.ApplicationSet, Generator: a.Generator,
		}})
	}
	for _, r := range releases {
		vf := []valuesFromID{}
		for _, v := range r.ValuesFrom {
			vf = append(vf, valuesFromID{Kind: v.Kind, Namespace: v.Namespace, Name: v.Name})
		}
		rows = append(rows, appRow{sveltos: &sveltosRow{
			Cluster: r.Cluster, ClusterProfile: r.ClusterProfile, ControlPlane: r.ControlPlane, Engine: model.EngineSveltos,
			Namespace: r.Namespace, Release: r.Release, ChartPath: r.ChartPath, Revision: r.Revision,
			ValuesFrom: vf, RepoURL: r.RepoURL, Source: r.Source, RepositoryURL: r.RepositoryURL,
			HelmChart: r.HelmChart, SelectedBy: r.SelectedBy, SyncMode: r.SyncMode,
		}})
	}
	slices.SortStableFunc(rows, func(a, b appRow) int { return strings.Compare(a.cluster(), b.cluster()) })
	return rows
}

func (r appRow) cluster() string {
	if r.argo != nil {
		return r.argo.Cluster
	}
	return r.sveltos.Cluster
}

// MarshalJSON gives the row's own fields.
func (r appRow) MarshalJSON() ([]byte, error) {
	if r.argo != nil {
		return json.Marshal(r.argo)
	}
	return json.Marshal(r.sveltos)
}

func (rows appRows) Text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tAPPLICATION/PROFILE\tCONTROL PLANE\tENGINE\tNAMESPACE\tRELEASE\tCHART PATH\tREVISION\tVALUES")
	for _, r := range rows {
		if a := r.argo; a != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				a.Cluster, a.Application, a.ControlPlane, a.Engine, a.Namespace, a.Release, a.ChartPath, a.Revision, strings.Join(a.ValueFiles, ","))
			continue
		}
		s := r.sveltos
		var values []string
		for _, v := range s.ValuesFrom {
			values = append(values, v.Kind+":"+v.Namespace+"/"+v.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			s.Cluster, s.ClusterProfile, s.ControlPlane, s.Engine, s.Namespace, s.Release, s.ChartPath, s.Revision, strings.Join(values, ","))
	}
	return tw.Flush()
}
