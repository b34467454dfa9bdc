package impact

import (
	"fmt"
	"slices"
	"strings"
)

// summary says what the report holds, one line each: the totals, one
// line per app, then what changes of the clusters themselves and of the
// control planes' kustomizations.
func (ix *index) summary(r *Report) []string {
	if r.Empty() {
		return []string{fmt.Sprintf("no change: the %d files build writes are the same in both revisions", r.Unchanged)}
	}
	var clusters []string
	whole := map[string]bool{} // clusters added or removed as a whole
	for _, e := range r.Environments {
		for _, c := range e.Clusters {
			clusters = append(clusters, c.Name)
			whole[c.Name] = c.Change != Changed
		}
	}
	total := count(len(clusters), "cluster")
	if ix.new != nil {
		total = fmt.Sprintf("%d of %s", len(clusters), count(len(ix.new.Clusters), "cluster"))
	}
	verb := "change"
	if len(clusters) == 1 {
		verb = "changes"
	}
	total += " " + verb
	if len(clusters) > 0 {
		total += " " + ix.perEnv(clusters)
	}
	lines := []string{total + "; " + fileCounts(r.Files)}
	for _, a := range r.Apps {
		if l := appLine(ix, a, whole); l != "" {
			lines = append(lines, l)
		}
	}
	if l := clustersLine(ix, r.Environments); l != "" {
		lines = append(lines, l)
	}
	var kustomizations []string
	other := 0
	for _, f := range r.Files {
		switch f.Kind {
		case Kustomization:
			kustomizations = append(kustomizations, f.ControlPlane)
		case Other:
			other++
		}
	}
	if len(kustomizations) > 0 {
		lines = append(lines, fmt.Sprintf("kustomization changes on %s (%s)", count(len(kustomizations), "control plane"), strings.Join(kustomizations, ", ")))
	}
	if other > 0 {
		lines = append(lines, fmt.Sprintf("%s of no known kind change", count(other, "other file")))
	}
	return lines
}

// fileCounts is "3 files: 1 added, 2 changed", or "2 files changed".
func fileCounts(files []File) string {
	n := map[Change]int{}
	for _, f := range files {
		n[f.Change]++
	}
	var parts []string
	for _, c := range []Change{Added, Changed, Removed} {
		if n[c] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
		}
	}
	if len(parts) == 1 {
		return fmt.Sprintf("%s %s", count(len(files), "file"), strings.SplitN(parts[0], " ", 2)[1])
	}
	return fmt.Sprintf("%s: %s", count(len(files), "file"), strings.Join(parts, ", "))
}

// appLine is one app's summary: "monitoring-basic/victoria-metrics-agent:
// values change on 312 clusters (dev 100, staging 92, prod 120); 1
// ApplicationSet changed". Clusters added or removed as a whole are left
// to the clusters' line: every app of theirs comes or goes with them.
func appLine(ix *index, a App, whole map[string]bool) string {
	drop := func(names []string) []string {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return whole[n] })
	}
	a.Values = Clusters{Added: drop(a.Values.Added), Changed: a.Values.Changed, Removed: drop(a.Values.Removed)}
	a.Applications = Clusters{Added: drop(a.Applications.Added), Changed: a.Applications.Changed, Removed: drop(a.Applications.Removed)}
	var parts []string
	if len(a.Values.Changed) > 0 {
		parts = append(parts, fmt.Sprintf("values change on %s %s", count(len(a.Values.Changed), "cluster"), ix.perEnv(a.Values.Changed)))
	}
	if added := union(a.Values.Added, a.Applications.Added); len(added) > 0 {
		parts = append(parts, fmt.Sprintf("added on %s %s", count(len(added), "cluster"), ix.perEnv(added)))
	}
	if removed := union(a.Values.Removed, a.Applications.Removed); len(removed) > 0 {
		parts = append(parts, fmt.Sprintf("removed from %s %s", count(len(removed), "cluster"), ix.perEnv(removed)))
	}
	if len(a.Applications.Changed) > 0 {
		parts = append(parts, fmt.Sprintf("Application changes on %s %s", count(len(a.Applications.Changed), "cluster"), ix.perEnv(a.Applications.Changed)))
	}
	if len(a.ApplicationSets) > 0 {
		n := map[Change]int{}
		for _, f := range a.ApplicationSets {
			n[f.Change]++
		}
		var sets []string
		for _, c := range []Change{Changed, Added, Removed} {
			if n[c] > 0 {
				sets = append(sets, fmt.Sprintf("%s %s", count(n[c], "ApplicationSet"), c))
			}
		}
		parts = append(parts, strings.Join(sets, ", "))
	}
	if len(parts) == 0 {
		return ""
	}
	return appName(a.Bundle, a.App) + ": " + strings.Join(parts, "; ")
}

// clustersLine summarises the clusters' own changes: added, removed,
// moved, labels, registrations and TKCs.
func clustersLine(ix *index, envs []Environment) string {
	var added, removed, moved, labels, regs, tkcs []string
	for _, e := range envs {
		for _, c := range e.Clusters {
			switch c.Change {
			case Added:
				added = append(added, c.Name)
				continue
			case Removed:
				removed = append(removed, c.Name)
				continue
			}
			if c.From != "" {
				moved = append(moved, c.Name)
			}
			if len(c.LabelsAdded)+len(c.LabelsRemoved) > 0 {
				labels = append(labels, c.Name)
			}
			if c.Registration != "" {
				regs = append(regs, c.Name)
			}
			if c.TKC != "" {
				tkcs = append(tkcs, c.Name)
			}
		}
	}
	var parts []string
	add := func(names []string, format string) {
		if len(names) > 0 {
			parts = append(parts, fmt.Sprintf(format, len(names), ix.perEnv(names)))
		}
	}
	add(added, "%d added %s")
	add(removed, "%d removed %s")
	add(moved, "%d moved to another environment %s")
	add(labels, "labels change on %d %s")
	add(regs, "registration changes on %d %s")
	add(tkcs, "TKC changes on %d %s")
	if len(parts) == 0 {
		return ""
	}
	return "clusters: " + strings.Join(parts, "; ")
}

// perEnv is "(dev 1, staging 2)": how many of the clusters are in each
// environment, in report order.
func (ix *index) perEnv(clusters []string) string {
	n := map[envKey]int{}
	for _, c := range clusters {
		n[ix.envOf(c)]++
	}
	var parts []string
	for _, k := range ix.envs {
		if n[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k.env, n[k]))
			delete(n, k)
		}
	}
	if n[envKey{}] > 0 {
		parts = append(parts, fmt.Sprintf("unknown environment %d", n[envKey{}]))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// describe says in a few words what changes on a cluster, for the text
// and Markdown reports.
func describe(c Cluster) string {
	switch c.Change {
	case Added:
		return fmt.Sprintf("cluster added: %s", count(len(union(names(c.Values), names(c.Applications))), "app"))
	case Removed:
		return fmt.Sprintf("cluster removed: %s", count(len(union(names(c.Values), names(c.Applications))), "app"))
	}
	var parts []string
	if c.From != "" {
		parts = append(parts, "moved from "+c.From)
	}
	if len(c.LabelsAdded)+len(c.LabelsRemoved) > 0 {
		var ls []string
		for _, l := range c.LabelsAdded {
			ls = append(ls, "+"+l)
		}
		for _, l := range c.LabelsRemoved {
			ls = append(ls, "-"+l)
		}
		parts = append(parts, "labels "+strings.Join(ls, " "))
	}
	by := func(changes []AppChange, ch Change) []string {
		var out []string
		for _, a := range changes {
			if a.Change == ch {
				out = append(out, a.App)
			}
		}
		return out
	}
	if added := union(by(c.Values, Added), by(c.Applications, Added)); len(added) > 0 {
		parts = append(parts, "apps added: "+strings.Join(added, ", "))
	}
	if removed := union(by(c.Values, Removed), by(c.Applications, Removed)); len(removed) > 0 {
		parts = append(parts, "apps removed: "+strings.Join(removed, ", "))
	}
	if changed := by(c.Values, Changed); len(changed) > 0 {
		parts = append(parts, "values: "+strings.Join(changed, ", "))
	}
	if changed := by(c.Applications, Changed); len(changed) > 0 {
		parts = append(parts, "Applications: "+strings.Join(changed, ", "))
	}
	if c.Registration != "" {
		parts = append(parts, "registration "+string(c.Registration))
	}
	if c.TKC != "" {
		parts = append(parts, "TKC "+string(c.TKC))
	}
	return strings.Join(parts, "; ")
}

func names(changes []AppChange) []string {
	var out []string
	for _, a := range changes {
		out = append(out, a.App)
	}
	return out
}

// union is the sorted names in a or b.
func union(a, b []string) []string {
	return slices.Compact(slices.Sorted(slices.Values(slices.Concat(a, b))))
}

func appName(bundle, app string) string {
	if bundle == "" {
		return app
	}
	return bundle + "/" + app
}

// count is "1 cluster", "2 clusters".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
