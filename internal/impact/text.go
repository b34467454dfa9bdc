package impact

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Text prints the report for people: the summary lines, then per control
// plane and environment each cluster that changes on one line, then each
// ApplicationSet that changes with the clusters whose Application moves.
func (r *Report) Text(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, l := range r.Summary {
		fmt.Fprintln(bw, l)
	}
	if !r.Complete {
		fmt.Fprintln(bw, partial)
	}
	for _, e := range r.Environments {
		fmt.Fprintf(bw, "\n%s/%s: %s\n", e.ControlPlane, e.Env, count(len(e.Clusters), "cluster"))
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		for _, c := range e.Clusters {
			fmt.Fprintf(tw, "  %s\t%s\n", c.Name, describe(c))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.ApplicationSets) > 0 {
		fmt.Fprintf(bw, "\nApplicationSets: %d\n", len(r.ApplicationSets))
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		for _, as := range r.ApplicationSets {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", as.Path, as.Change, r.moved(as.Applications))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// partial says what a report of a partial selection leaves out.
const partial = "only the selected clusters' own files were compared: ApplicationSets and kustomizations need every cluster"

// moved says on which clusters the Applications of an ApplicationSet
// move: "Application added on 1 cluster (dev 1): dev-alpha".
func (r *Report) moved(c Clusters) string {
	if c.empty() {
		return "no Application changes"
	}
	var parts []string
	for _, m := range []struct {
		change Change
		names  []string
	}{{Added, c.Added}, {Changed, c.Changed}, {Removed, c.Removed}} {
		if len(m.names) == 0 {
			continue
		}
		on := "on"
		if m.change == Removed {
			on = "from"
		}
		parts = append(parts, fmt.Sprintf("Application %s %s %s %s: %s",
			m.change, on, count(len(m.names), "cluster"), r.ix.perEnv(m.names), shortList(m.names, 5)))
	}
	return strings.Join(parts, "; ")
}

// shortList names at most limit names, then says how many more there are.
func shortList(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}
