package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

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
		Short: "List the Applications ArgoCD will generate for the selected clusters",
		Long: `Apps builds the selected clusters in memory, as build does, and lists the
Applications ArgoCD will generate from what build writes: it reads back the
ApplicationSets and cluster registration Secrets of each control plane and
does what ArgoCD's ApplicationSet controller does with them (cluster
generator label selection, {{name}}, {{server}} and {{values.branch}}
substitution). It shows what ArgoCD does with the manifests, not what the
platform meant, so a selector and a label that disagree show here.

Columns: cluster, Application name, control plane, destination namespace,
chart path and catalog revision, and the Helm value files. -o json and
-o yaml add the project, server, repo URL and the ApplicationSet and
generator that made each Application.

` + patternHelp + `

Exit status: 0 listed, 1 errors in the platform (or in the generated
manifests), 2 wrong command line.`,
		Example: `  platformc apps ./clusters/staging/armored-core-development   # what one cluster gets
  platformc apps -o json | jq -r '.[].application'            # every Application name`,
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
	if apps == nil {
		apps = []preview.Application{}
	}
	if err := printData(cmd, f.format, appRows(apps)); err != nil {
		return err
	}
	if !f.quiet {
		n := len(c.Platform.Clusters)
		fmt.Fprintf(cmd.ErrOrStderr(), "apps: %d applications on %d cluster%s\n", len(apps), n, plural(n))
	}
	return nil
}

// appRows are the Applications as list and show print data.
type appRows []preview.Application

func (apps appRows) Text(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tAPPLICATION\tCONTROL PLANE\tNAMESPACE\tCHART PATH\tREVISION\tVALUE FILES")
	for _, a := range apps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			a.Cluster, a.Name, a.ControlPlane, a.Namespace, a.ChartPath, a.Revision, strings.Join(a.ValueFiles, ","))
	}
	return tw.Flush()
}
