package cli

import (
	"context"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
)

// Shell completion of names. Each loads only what it needs, without
// evaluating clusters: cluster names come from the parsed files, bundle and
// app names from the bundles package alone.

// completeDirs completes patterns as directories.
func completeDirs(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveFilterDirs
}

func completeClusters(_ *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	lp, err := loadPlatform(nil)
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return withPrefix(lp.Names(), prefix), cobra.ShellCompDirectiveNoFileComp
}

func completeBundles(_ *cobra.Command, args []string, prefix string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	p, err := catalog()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	return withPrefix(slices.Sorted(maps.Keys(p.Bundles)), prefix), cobra.ShellCompDirectiveNoFileComp
}

// completeApps completes the apps of every bundle: which ones a cluster
// runs would take evaluating it.
func completeApps(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
	p, err := catalog()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	var names []string
	for _, b := range p.Bundles {
		names = append(names, slices.Collect(maps.Keys(b.Apps))...)
	}
	slices.Sort(names)
	return withPrefix(names, prefix), cobra.ShellCompDirectiveNoFileComp
}

func catalog() (*model.Platform, error) {
	in, err := load.Scan(load.Config{})
	if err != nil {
		return nil, err
	}
	lp, err := load.Load(in.Root, nil, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return eval.Defaults(context.Background(), lp)
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
