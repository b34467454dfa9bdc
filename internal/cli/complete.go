package cli

import (
	"maps"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/pipeline"
)

// Shell completion of names. Each loads only what it needs: cluster names
// come from the parsed files, bundle and app names from the bundles package
// alone, the apps of one cluster from evaluating that cluster.

// completeDirs completes patterns as directories.
func completeDirs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

func completeClusters(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	names, err := pipeline.ClusterNames(pipeline.Options{})
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return withPrefix(names, prefix), cobra.ShellCompDirectiveNoFileComp
}

func completeBundles(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	p, err := catalog(cmd)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return withPrefix(slices.Sorted(maps.Keys(p.Bundles)), prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeApps completes the apps the cluster named first on the command
// line runs (show cluster NAME --values APP), else the apps of every
// bundle.
func completeApps(cmd *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	var names []string
	if len(args) > 0 {
		res, err := compile(cmd, &commonFlags{quiet: true}, pipeline.Options{Cluster: args[0], Placeholders: true})
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		for _, c := range res.Platform.Clusters {
			if c.Name == args[0] {
				for _, a := range res.Platform.Apps(c) {
					names = append(names, a.Name)
				}
			}
		}
	} else {
		p, err := catalog(cmd)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		for _, b := range p.Bundles {
			names = append(names, slices.Collect(maps.Keys(b.Apps))...)
		}
	}
	slices.Sort(names)
	return withPrefix(slices.Compact(names), prefix), cobra.ShellCompDirectiveNoFileComp
}

// catalog evaluates the defaults and bundles alone: names without clusters.
func catalog(cmd *cobra.Command) (*model.Platform, error) {
	res, err := compile(cmd, &commonFlags{quiet: true, noCache: true}, pipeline.Options{DefaultsOnly: true, Placeholders: true})
	if err != nil {
		return nil, err
	}
	return res.Platform, nil
}

func withPrefix(names []string, prefix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
