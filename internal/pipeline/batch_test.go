package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/platformtest"
)

// TestLoadedInBatchesEqualsWhole: a build loads the cluster directories a
// batch at a time, evaluating the first while it loads the next. Loading
// them one at a time, two at a time or all at once must give the same
// bytes, the same errors (those of every batch, all at once) and the same
// notes, whichever batch an error is in.
func TestLoadedInBatchesEqualsWhole(t *testing.T) {
	// Six more clusters than the reference platform's three: several
	// batches of every size tried but the last.
	extra := map[string]string{}
	for i := range 6 {
		name := fmt.Sprintf("extra-%02d", i)
		extra["clusters/dev/"+name+"/cluster.cue"] = fmt.Sprintf(`package clusters

clusters: %q: {
	vsphereNamespace: "team-%02d"
	server:           "https://10.20.10.%d:6443"
	tkr:              "v1.30.1---vmware.1-fips.1-tkg.5"
	bundles: ["core-basic", "security-basic"]
}
`, name, i, 100+i)
	}
	first, last := "clusters/dev/dev-alpha/cluster.cue", "clusters/staging/armored-core-development/cluster.cue"
	cases := []struct {
		name string
		// edit changes the module; want are strings the outcome holds.
		edit func(t *testing.T, mod string)
		want []string
		// placeholders builds as vet does, with notes for unset variables.
		placeholders bool
	}{
		{name: "valid", want: []string{"== cluster/extra-05/"}},
		{
			name: "syntax errors in the first and the last directory",
			edit: func(t *testing.T, mod string) {
				appendTo(t, mod, first, "\nclusters: \"dev-alpha\": {\n")
				appendTo(t, mod, last, "\nclusters: ]\n")
			},
			want: []string{first, last},
		},
		{
			name: "a cluster declared in the first and the last batch",
			edit: func(t *testing.T, mod string) {
				write(t, mod, "clusters/staging/zz-dup/cluster.cue", "package clusters\n\nclusters: \"dev-alpha\": env: \"staging\"\n")
			},
			want: []string{"clusters/staging/zz-dup/cluster.cue", first},
		},
		{
			name: "a directory of another package",
			edit: func(t *testing.T, mod string) {
				write(t, mod, "clusters/prod/other/cluster.cue", "package other\n\nx: 1\n")
			},
			want: []string{"clusters/prod/other/cluster.cue"},
		},
		{
			name: "evaluation errors in several batches",
			edit: func(t *testing.T, mod string) {
				replaceIn(t, mod, first, `"team-alpha"`, `"Team_Alpha"`)
				replaceIn(t, mod, "clusters/dev/extra-05/cluster.cue", `"core-basic", `, `"core-basic", "nope", `)
			},
			want: []string{first, "clusters/dev/extra-05/cluster.cue"},
		},
		{
			name:         "unset variables read in several batches",
			placeholders: true,
			edit: func(t *testing.T, mod string) {
				// The placeholder fails a constraint elsewhere: a note, not
				// an error.
				replaceIn(t, mod, "clusters/dev/extra-03/cluster.cue", `bundles:`, `values: "ingress-nginx": "ingress-nginx": port: string @tag(BATCH_TEST_UNSET_A)
	values: "ingress-nginx": "ingress-nginx": port: =~"^[0-9]+$"
	bundles:`)
				replaceIn(t, mod, last, `bundles:`, `values: "ingress-nginx": "ingress-nginx": host: string @tag(BATCH_TEST_UNSET_B)
	values: "ingress-nginx": "ingress-nginx": host: =~"^[a-z.]+$"
	bundles:`)
			},
			want: []string{"notes:", "BATCH_TEST_UNSET_A is not set", "BATCH_TEST_UNSET_B is not set"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.placeholders && tc.edit != nil && !strings.Contains(tc.name, "syntax") {
				t.Skip("-short (-race in CI)")
			}
			mod := t.TempDir()
			platformtest.CopyPlatform(t, filepath.Join("..", ".."), mod)
			for rel, src := range extra {
				write(t, mod, rel, src)
			}
			if tc.edit != nil {
				tc.edit(t, mod)
			}
			var want string
			sizes := []int{1000, 1, 4}
			if testing.Short() {
				sizes = sizes[:2] // -race -short in CI
			}
			for _, batch := range sizes {
				res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod, LoadBatch: batch, Placeholders: tc.placeholders})
				got := outcome(res, err)
				if err == nil {
					got += fmt.Sprintf("evaluated %d\n", res.Evaluated)
				}
				if res.Notes != nil {
					var b strings.Builder
					diag.Print(&b, res.Notes, res.Root)
					got += "notes:\n" + b.String()
				}
				if batch == 1000 {
					want = got
					for _, s := range tc.want {
						if !strings.Contains(got, s) {
							t.Fatalf("loaded at once, the outcome lacks %q:\n%.4000s", s, got)
						}
					}
					continue
				}
				if got != want {
					t.Fatalf("loaded %d directories at a time:\n%.4000s\nloaded at once:\n%.4000s", batch, got, want)
				}
			}
		})
	}
}

func appendTo(t *testing.T, mod, rel, src string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(mod, rel))
	if err != nil {
		t.Fatal(err)
	}
	write(t, mod, rel, string(data)+src)
}

func replaceIn(t *testing.T, mod, rel, old, new string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(mod, rel))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s holds no %q", rel, old)
	}
	write(t, mod, rel, strings.Replace(string(data), old, new, 1))
}
