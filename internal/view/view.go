// Package view makes what list and show print: pure functions from the
// evaluated platform to rows and details, each printed as aligned text for
// people or as JSON or YAML (from the struct tags) for scripts.
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/platformc/platformc/internal/render"
)

// Format is how data is printed.
type Format string

// The formats, the first the default.
const (
	Text Format = "text" // aligned tables, for people
	JSON Format = "json"
	YAML Format = "yaml"
)

// Formats lists the formats, for flags and their help.
var Formats = []Format{Text, JSON, YAML}

// Texter is data that prints itself as text.
type Texter interface {
	Text(w io.Writer) error
}

// Print writes v to w in format f. JSON is indented by two spaces, in the
// order of the struct fields. YAML has the same fields (their JSON names),
// encoded as the generated values files are, keys sorted.
func Print(w io.Writer, f Format, v Texter) error {
	switch f {
	case JSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case YAML:
		// Through JSON, so that the struct tags name the fields in both.
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var generic any
		if err := json.Unmarshal(data, &generic); err != nil {
			return err
		}
		if data, err = render.YAML(generic); err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	case Text, "":
		return v.Text(w)
	}
	return fmt.Errorf("unknown format %q", f)
}

// table writes rows as columns aligned with tabwriter, the first row the
// header.
func table(w io.Writer, rows ...[]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// list joins names for a table cell; "-" for none.
func list(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return strings.Join(names, ", ")
}

// shortList is list that names at most limit names, for a line that a
// platform of a thousand clusters must not make unreadable.
func shortList(names []string, limit int) string {
	if len(names) <= limit {
		return list(names)
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// orEmpty makes a nil slice an empty one, so that JSON has [] rather than
// null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
