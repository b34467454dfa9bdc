package load

import (
	"slices"
	"testing"
)

func TestBundleFile(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		names     []string // nil: not a bundle file
		reads     bool     // reads the bundles some other way
	}{
		{"one bundle", "package bundles\n\nbundles: \"core-basic\": apps: x: values: y: _mirror\n", []string{"core-basic"}, false},
		{"two bundles", "package bundles\n\nbundles: {\n\ta: version: \"1.0.0\"\n\t\"b-c\": version: \"1.0.0\"\n}\n", []string{"a", "b-c"}, false},
		{"two fields", "package bundles\n\nimport \"strings\"\n\nbundles: a: x: strings.ToUpper(\"y\")\nbundles: b: version: \"1.0.0\"\n", []string{"a", "b"}, false},
		{"a hidden field too", "package bundles\n\n_x: 1\nbundles: a: version: \"1.0.0\"\n", nil, false},
		{"a pattern", "package bundles\n\nbundles: [Name=string]: name: Name\n", nil, false},
		{"an alias", "package bundles\n\nbundles: X=a: version: \"1.0.0\"\n", nil, false},
		{"a comprehension", "package bundles\n\nbundles: {for n in [\"a\"] {(n): {}}}\n", nil, false},
		{"an optional bundle", "package bundles\n\nbundles: a?: {}\n", nil, false},
		{"an embed", "package bundles\n\n@extern(embed)\n\nbundles: a: x: _ @embed(file=x.json)\n", nil, false},
		{"reads another bundle", "package bundles\n\nbundles: a: version: bundles.b.version\n", nil, true},
		{"reads a sibling", "package bundles\n\nbundles: {\n\ta: version: b.version\n\tb: version: \"1.0.0\"\n}\n", nil, true},
		{"not CUE", "package bundles\n\nbundles: {", nil, true},
		{"nothing", "package bundles\n", nil, false},
	} {
		names, ok, reads := bundleFile(tc.name+".cue", []byte(tc.src))
		if ok != (tc.names != nil) || !slices.Equal(names, tc.names) || reads != tc.reads {
			t.Errorf("%s: got %v, %t, reads %t; want %v, reads %t", tc.name, names, ok, reads, tc.names, tc.reads)
		}
	}
}

func TestImportsBundles(t *testing.T) {
	for src, want := range map[string]bool{
		"package clusters\n\nimport \"corp.local/platform/bundles\"\n":            true,
		"package clusters\n\nimport b \"corp.local/platform/bundles@v0\"\n":       true,
		"package clusters\n\nimport \"corp.local/platform/platform\"\n":           false,
		"package clusters\n\n// bundles\"\nclusters: x: bundles: [\"bundles\"]\n": false,
	} {
		if got := importsBundles("x.cue", []byte(src)); got != want {
			t.Errorf("%q: %t, want %t", src, got, want)
		}
	}
}
