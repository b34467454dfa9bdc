package impact

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"

	"github.com/platformc/platformc/internal/output"
)

// Marker is the first line of the Markdown report, an HTML comment a bot
// finds its earlier comment by, to update it rather than add another.
const Marker = "<!-- platformc impact -->"

// Limits that keep a Markdown report postable: GitHub refuses a comment
// longer than 65,536 characters (GitLab allows a million).
const (
	// MaxMarkdown bounds the whole report, in bytes (a character is at
	// least one).
	MaxMarkdown = 60000
	// maxRows bounds each environment's table; the rest is counted.
	maxRows = 30
	// maxNames bounds the clusters named in a table cell.
	maxNames = 10
	// samples is how many changed files of each app, and of
	// registrations and TKCs, have their diff shown.
	samples = 3
	// maxDiffLines bounds each diff shown.
	maxDiffLines = 150
)

// Markdown prints the report as a merge request comment: the summary, a
// table per environment grouping the clusters that change alike, the
// ApplicationSets that change, and collapsed unified diffs of a sample of
// the changed files of each app (one per environment first), of the
// registrations and TKCs, and of the other files. hide redacts a file's
// content before it is diffed (the secrets). The report stays under
// MaxMarkdown bytes: diffs that would pass it are left out, and counted.
func (r *Report) Markdown(w io.Writer, hide func(path string, data []byte) []byte) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n### platformc impact against %s", Marker, codeSpan(r.Against))
	if r.Commit != "" {
		fmt.Fprintf(&b, " (%s)", codeSpan(short(r.Commit)))
	}
	b.WriteString("\n\n")
	for i, l := range r.Summary {
		if i == 0 {
			fmt.Fprintf(&b, "**%s**\n\n", l)
			continue
		}
		fmt.Fprintf(&b, "- %s\n", l)
	}
	if !r.Complete {
		fmt.Fprintf(&b, "\n%s%s.\n", strings.ToUpper(partial[:1]), partial[1:])
	}
	for _, e := range r.Environments {
		fmt.Fprintf(&b, "\n#### %s / %s: %s\n\n| Clusters | Change |\n| --- | --- |\n", e.ControlPlane, e.Env, count(len(e.Clusters), "cluster"))
		rows := groupAlike(e.Clusters)
		for i, row := range rows {
			if i == maxRows {
				fmt.Fprintf(&b, "| %d more rows | in `-o json` |\n", len(rows)-maxRows)
				break
			}
			fmt.Fprintf(&b, "| %s | %s |\n", cell(row.clusters), escape(row.change))
		}
	}
	if len(r.ApplicationSets) > 0 {
		b.WriteString("\n#### ApplicationSets\n\n| ApplicationSet | Change | Applications |\n| --- | --- | --- |\n")
		for _, as := range r.ApplicationSets {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", codeSpan(as.Path), as.Change, escape(r.moved(as.Applications)))
		}
	}
	blocks := r.diffBlocks(hide)
	if len(blocks) > 0 {
		b.WriteString("\n#### Diffs\n")
	}
	left := 0
	for i, block := range blocks {
		// Room for the note saying what was left out.
		if b.Len()+len(block) > MaxMarkdown-400 {
			left = len(blocks) - i
			break
		}
		b.WriteString(block)
	}
	if left > 0 {
		fmt.Fprintf(&b, "\n%s of diffs left out to keep this comment postable; `platformc impact` lists every file, `platformc diff` shows them.\n", count(left, "group"))
	}
	_, err := w.Write(b.Bytes())
	return err
}

// row is clusters of one environment that change alike.
type row struct {
	change   string
	clusters []string
}

// groupAlike groups clusters by what changes on them, in the order of
// their first cluster.
func groupAlike(clusters []Cluster) []row {
	var rows []row
	at := map[string]int{}
	for _, c := range clusters {
		d := describe(c)
		i, ok := at[d]
		if !ok {
			i = len(rows)
			at[d] = i
			rows = append(rows, row{change: d})
		}
		rows[i].clusters = append(rows[i].clusters, c.Name)
	}
	return rows
}

// cell names clusters in a table cell: all of up to maxNames, else the
// count and the first ones.
func cell(names []string) string {
	if len(names) <= maxNames {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%d: %s", len(names), shortList(names, maxNames))
}

// diffBlocks are the collapsed diffs, one <details> per app, then one for
// the registrations and TKCs, then one for the other files.
func (r *Report) diffBlocks(hide func(string, []byte) []byte) []string {
	var blocks []string
	for _, a := range r.Apps {
		var values, sets []File
		for _, f := range r.Files {
			switch {
			case f.Kind == Values && f.App == a.App:
				values = append(values, f)
			case f.Kind == ApplicationSet && f.App == a.App:
				sets = append(sets, f)
			}
		}
		shown := slices.Concat(r.sample(values), sets)
		blocks = append(blocks, details(fmt.Sprintf("%s: %s", appName(a.Bundle, a.App), shownOf(len(shown), len(values)+len(sets))), shown, hide))
	}
	var regs, tkcs, other []File
	for _, f := range r.Files {
		switch f.Kind {
		case Registration:
			regs = append(regs, f)
		case TKC:
			tkcs = append(tkcs, f)
		case Kustomization, Other:
			other = append(other, f)
		}
	}
	if len(regs)+len(tkcs) > 0 {
		shown := slices.Concat(r.sample(regs), r.sample(tkcs))
		blocks = append(blocks, details("registrations and TKCs: "+shownOf(len(shown), len(regs)+len(tkcs)), shown, hide))
	}
	if len(other) > 0 {
		blocks = append(blocks, details("kustomizations and other files: "+shownOf(len(other), len(other)), other, hide))
	}
	return blocks
}

func shownOf(shown, total int) string {
	if shown == total {
		return count(total, "file")
	}
	return fmt.Sprintf("%d of %s", shown, count(total, "file"))
}

// sample picks up to samples files: the first of each environment in
// report order, then the next ones by path.
func (r *Report) sample(files []File) []File {
	var out []File
	picked := map[string]bool{}
	for _, k := range r.ix.envs {
		i := slices.IndexFunc(files, func(f File) bool { return r.ix.envOf(f.Cluster) == k })
		if i >= 0 && len(out) < samples {
			out = append(out, files[i])
			picked[files[i].Path] = true
		}
	}
	for _, f := range files {
		if len(out) < samples && !picked[f.Path] {
			out = append(out, f)
			picked[f.Path] = true
		}
	}
	return out
}

// details is one collapsed block with the unified diffs of files, each
// cut at maxDiffLines, as diff prints them.
func details(summary string, files []File, hide func(string, []byte) []byte) string {
	var ops []output.Op
	for _, f := range files {
		op := output.Op{Path: f.Path, Old: f.Old, New: f.New}
		switch f.Change {
		case Added:
			op.Change = output.Add
		case Changed:
			op.Change = output.Update
		case Removed:
			op.Change = output.Remove
		}
		ops = append(ops, op)
	}
	var text strings.Builder
	for _, op := range ops {
		d := string((&output.Plan{Ops: []output.Op{op}}).Diff(hide))
		lines := strings.SplitAfter(d, "\n")
		if len(lines) > maxDiffLines+1 {
			d = strings.Join(lines[:maxDiffLines], "") + fmt.Sprintf("... %d more lines\n", len(lines)-1-maxDiffLines)
		}
		text.WriteString(d)
	}
	fence := strings.Repeat("`", max(3, longestRun(text.String(), '`')+1))
	return fmt.Sprintf("\n<details><summary>%s</summary>\n\n%sdiff\n%s%s\n\n</details>\n", html.EscapeString(summary), fence, text.String(), fence)
}

// longestRun is the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// codeSpan quotes s as inline code, with a fence longer than any run of
// backticks in it.
func codeSpan(s string) string {
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// escape keeps text from being read as Markdown or HTML in a table cell
// or a summary: names are DNS labels, but labels and paths may hold
// characters Markdown treats specially.
func escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '|', '\\', '`', '*', '_', '[', ']', '<', '>', '#', '~':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
