package load

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
)

// TestViewReads: what each app's values may read of #cluster, found from
// the syntax as ViewReads documents it. "whole" is the empty path.
func TestViewReads(t *testing.T) {
	const head = "package bundles\n\n#cluster: _\nbundles: [Name=string]: {name: Name}\n"
	for _, tc := range []struct {
		name string
		src  string
		want map[string]string // app: its paths, joined by spaces
	}{
		{
			name: "selectors, a helper, a helper's helper",
			src: `_mirror: #cluster.settings.registry
_env: _deep
_deep: #cluster.env
bundles: b: apps: {
	x: values: image: "\(_mirror)/x"
	y: values: {e: _env, n: #cluster.name}
	z: values: {}
}`,
			want: map[string]string{"x": "settings.registry", "y": "env name", "z": ""},
		},
		{
			name: "used whole: passed, let-bound, aliased",
			src: `Y=_c: #cluster
bundles: b: apps: {
	passed: values: v: #cluster & {}
	bound: values: {let c = #cluster, v: c.env}
	aliased: values: v: Y.env
}`,
			want: map[string]string{"passed": "whole", "bound": "whole", "aliased": "whole"},
		},
		{
			name: "an index or a hidden selector reads all from there",
			src: `bundles: b: apps: {
	indexed: values: v: #cluster.settings["registry"]
	hidden: values: v: #cluster.settings._x
}`,
			want: map[string]string{"indexed": "settings", "hidden": "settings"},
		},
		{
			name: "a comprehension or a pattern anywhere is read by every app",
			src: `bundles: b: apps: {
	if #cluster.env == "prod" {x: values: prod: true}
	x: values: {}
}
bundles: c: apps: [string]: values: owner: #cluster.name
bundles: c: apps: y: values: {}`,
			want: map[string]string{"x": "env name", "y": "env name"},
		},
		{
			name: "the bundle's other fields, by name",
			src: `bundles: b: {
	_shared: #cluster.vsphereNamespace
	apps: x: values: ns: _shared
}
bundles: c: apps: y: values: {}`,
			want: map[string]string{"x": "vsphereNamespace", "y": ""},
		},
		{
			name: "another bundle's apps, by name",
			src: `bundles: b: apps: x: values: n: #cluster.name
bundles: c: apps: y: values: n: bundles.b.apps.x.values.n`,
			want: map[string]string{"x": "name", "y": "name"},
		},
		{
			name: "apps not written with literal labels are not found",
			src: `_names: ["x"]
bundles: b: apps: {for n in _names {(n): values: {}}}`,
			want: map[string]string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parser.ParseFile("bundles.cue", head+tc.src)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for app, paths := range ViewReads([]*ast.File{f}) {
				var ps []string
				for _, p := range paths {
					s := strings.Join(p, ".")
					if s == "" {
						s = "whole"
					}
					ps = append(ps, s)
				}
				got[app] = strings.Join(ps, " ")
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("ViewReads:\n%s\nwant\n%s", show(got), show(tc.want))
			}
		})
	}
}

func show(m map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "  %s: %q\n", k, m[k])
	}
	return b.String()
}
