package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/render"
	"github.com/platformc/platformc/internal/suggest"
	"github.com/platformc/platformc/internal/view"
)

func newShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show cluster|bundle NAME",
		Short: "Show one cluster or bundle, fully evaluated",
		Long: `Show prints one cluster (its labels, its bundles and why each is on, every
app with its final values) or one bundle (its apps and the clusters that
enable it).`,
		Example: `  platformc show cluster prod-edge-1
  platformc show bundle monitoring-basic`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return whatError(cmd, args)
		},
	}
	cmd.AddCommand(newShowClusterCmd(), newShowBundleCmd())
	return cmd
}

type showClusterFlags struct {
	commonFlags
	formatFlag
	values string
	reveal bool
}

func newShowClusterCmd() *cobra.Command {
	var f showClusterFlags
	cmd := &cobra.Command{
		Use:   "cluster NAME [--values APP]",
		Short: "Show a cluster with its bundles and the final values of its apps",
		Long: `Show cluster evaluates the cluster NAME (only the directory declaring it) and
prints its environment, control plane, nodes, labels and settings; its
bundles, each with why it is on:

  required                the platform requires it on every cluster
  required by <bundles>   an enabled bundle requires it
  enabled                 the cluster chose it

and every app with its final values, as build writes them.

With --values APP it prints only the values file of APP, byte for byte
what build writes (or, with -o json, the values as JSON), except that
secrets read from the environment (@tag fields) print as <redacted NAME>
unless --reveal is given, and secrets that are not set as <NAME not set>.

Exit status: 0 shown, 1 errors in the platform or no such cluster or app
(with the closest name), 2 wrong command line.`,
		Example: `  platformc show cluster prod-edge-1
  platformc show cluster prod-edge-1 -o yaml
  platformc show cluster dev-alpha --values ingress-nginx`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeClusters,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runShowCluster(cmd, args[0], &f)
		},
	}
	f.commonFlags.register(cmd)
	f.formatFlag.register(cmd)
	cmd.Flags().StringVar(&f.values, "values", "", "print only the values file of `APP`")
	cmd.Flags().BoolVar(&f.reveal, "reveal", false, "with --values, print the secrets it holds instead of <redacted NAME>")
	_ = cmd.RegisterFlagCompletionFunc("values", completeApps)
	return cmd
}

func runShowCluster(cmd *cobra.Command, name string, f *showClusterFlags) error {
	if f.reveal {
		if f.values == "" {
			return usageErr(fmt.Errorf("--reveal shows the secrets of one values file: give --values APP too"))
		}
		sessionOf(cmd).reveal()
	}
	// Only the directories declaring the cluster are evaluated.
	res, err := compile(cmd, &f.commonFlags, pipeline.Options{Cluster: name, KeepValues: true, Placeholders: true})
	var nerr *pipeline.NoClusterError
	if errors.As(err, &nerr) {
		return notFound(nerr.Error(), name, nerr.Known, "platformc list clusters lists them")
	}
	if err != nil {
		return err
	}
	p := res.Platform
	i := slices.IndexFunc(p.Clusters, func(c *model.Cluster) bool { return c.Name == name })
	c := p.Clusters[i]
	if f.values != "" {
		return showValues(cmd, p, c, f.values, f.format)
	}
	d, err := view.Cluster(p, c)
	if err != nil {
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	return printData(cmd, f.format, d)
}

// showValues prints the values file of one app of c.
func showValues(cmd *cobra.Command, p *model.Platform, c *model.Cluster, name string, format view.Format) error {
	apps := p.Apps(c)
	i := slices.IndexFunc(apps, func(a *model.App) bool { return a.Name == name })
	if i < 0 {
		for _, b := range slices.Sorted(maps.Keys(p.Bundles)) {
			if _, ok := p.Bundles[b].Apps[name]; ok {
				return &exitError{code: ExitPlatform, msg: fmt.Sprintf("cluster %q does not run app %q: its bundle %q is not enabled there", c.Name, name, b)}
			}
		}
		var names []string
		for _, a := range apps {
			names = append(names, a.Name)
		}
		return notFound(fmt.Sprintf("cluster %q has no app %q", c.Name, name), name, names,
			fmt.Sprintf("platformc show cluster %s lists its apps", c.Name))
	}
	if format == view.JSON {
		data, err := json.MarshalIndent(c.Values[name], "", "  ")
		if err != nil {
			return &exitError{code: ExitPlatform, msg: err.Error()}
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", data)
		return err
	}
	f, err := render.AppValues(c, apps[i])
	if err != nil {
		return &exitError{code: ExitPlatform, msg: err.Error()}
	}
	_, err = cmd.OutOrStdout().Write(f.Data)
	return err
}

type showBundleFlags struct {
	commonFlags
	formatFlag
}

func newShowBundleCmd() *cobra.Command {
	var f showBundleFlags
	cmd := &cobra.Command{
		Use:   "bundle NAME",
		Short: "Show a bundle with its apps and the clusters that enable it",
		Long: `Show bundle prints the bundle NAME: its version and description, whether every
cluster must enable it, the bundles it requires and that require it, the
clusters that enable it (every cluster is evaluated), and its apps with
their category, chart version, the bundle version that first shipped them,
namespace, release name and sync wave.

Exit status: 0 shown, 1 errors in the platform or no such bundle (with the
closest name), 2 wrong command line.`,
		Example: `  platformc show bundle monitoring-basic
  platformc show bundle core-basic -o json | jq -r '.clusters[]'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeBundles,
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			// The bundles alone first: a wrong name is told at once.
			catalog, err := compile(cmd, &f.commonFlags, pipeline.Options{DefaultsOnly: true, Placeholders: true})
			if err != nil {
				return err
			}
			if _, ok := catalog.Platform.Bundles[name]; !ok {
				return notFound(fmt.Sprintf("no bundle %q", name), name, slices.Sorted(maps.Keys(catalog.Platform.Bundles)), "platformc list bundles lists them")
			}
			res, err := compile(cmd, &f.commonFlags, pipeline.Options{Placeholders: true})
			if err != nil {
				return err
			}
			return printData(cmd, f.format, view.Bundle(res.Platform, name))
		},
	}
	f.commonFlags.register(cmd)
	f.formatFlag.register(cmd)
	return cmd
}

// notFound is the error for a name that does not exist: msg, then the
// closest known name if one is near enough to be a typo, else the hint.
func notFound(msg, name string, known []string, hint string) error {
	if best, ok := suggest.Closest(name, known); ok {
		return &exitError{code: ExitPlatform, msg: fmt.Sprintf("%s; did you mean %q?", msg, best)}
	}
	return &exitError{code: ExitPlatform, msg: fmt.Sprintf("%s; %s", msg, hint)}
}
