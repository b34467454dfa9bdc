package render

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

func docsPlatform(clusters int) *model.Platform {
	p := &model.Platform{
		Defaults: model.Defaults{ControlPlanes: map[string]model.ControlPlane{
			"np":   {Name: "np", Environments: []string{"dev"}},
			"prod": {Name: "prod", Environments: []string{"prod"}},
		}},
		Bundles: map[string]*model.Bundle{
			"base": {Name: "base", Version: "1.0.0", Required: true, Description: "A | B\nsecond line",
				Apps: map[string]*model.App{"a": {Name: "a", Category: "c", Chart: "1.0.0", Namespace: "a", Since: "1.0.0"}}},
			"end": {Name: "end", Version: "2.0.0", Requires: []string{"base"},
				Apps: map[string]*model.App{"z": {Name: "z", Category: "c", Chart: "0.1.0", Namespace: "z"}}},
		},
	}
	for i := range clusters {
		p.Clusters = append(p.Clusters, &model.Cluster{Name: fmt.Sprintf("dev-%02d", i), Env: "dev", Bundles: []string{"base"}})
	}
	p.Clusters = append(p.Clusters, &model.Cluster{Name: "prod-1", Env: "prod", Bundles: []string{"end", "base"}})
	return p
}

func TestDocsDeterministic(t *testing.T) {
	first := Docs(docsPlatform(3))
	for range 10 {
		again := Docs(docsPlatform(3))
		for i := range first {
			if first[i].Path != again[i].Path || !bytes.Equal(first[i].Data, again[i].Data) {
				t.Fatalf("%s differs between two runs", first[i].Path)
			}
		}
	}
	for _, f := range first {
		if !bytes.HasPrefix(f.Data, []byte(MarkdownHeader)) {
			t.Errorf("%s has no header", f.Path)
		}
	}
}

func TestDocsIndex(t *testing.T) {
	index := string(Docs(docsPlatform(7))[0].Data)
	for _, want := range []string{
		"| [base](bundles/base.md) | 1.0.0 | yes | - | 1 | A \\| B second line |\n", // a table cell stays one cell
		"| prod-1 | prod | prod | ✓ | ✓ |\n",
		"| dev-00 | dev | np | ✓ |   |\n",
		// Seven dev clusters with the same bundles are one box; "end" is a
		// Mermaid keyword, so ids are generated.
		"  c0[\"dev-00<br/>dev-01<br/>dev-02<br/>and 4 more\"]\n",
		"  b1{{\"end\"}}\n",
		"  cp0 --> c0\n  cp1 --> c1\n  c0 --> b0\n  c1 --> b0\n  c1 --> b1\n",
	} {
		if !strings.Contains(index, want) {
			t.Errorf("index lacks %q:\n%s", want, index)
		}
	}
}

func TestBundleDoc(t *testing.T) {
	page := string(Docs(docsPlatform(1))[2].Data)
	for _, want := range []string{
		"# end 2.0.0\n",
		"- Requires: [base](base.md)\n",
		"- Enabled on 1 cluster: prod-1\n",
		"| z | c | 0.1.0 | - | z |\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("bundles/end.md lacks %q:\n%s", want, page)
		}
	}
}
