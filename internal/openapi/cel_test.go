package openapi

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The keywords the Sveltos and Flux CRDs add to the Argo CD ones: numeric
// bounds, defaults, map lists and CEL rules.
const sveltosLikeSchema = `
type: object
properties:
  tier: {type: integer, default: 100, minimum: 1, maximum: 200}
  refs:
    type: array
    x-kubernetes-list-type: map
    x-kubernetes-list-map-keys: [identifier]
    items: {type: object, properties: {identifier: {type: string}, kind: {type: string}}}
  chart:
    type: object
    properties:
      repositoryURL: {type: string}
      chartName: {type: string}
      pullMode: {type: boolean, x-kubernetes-validations: [{message: Value is immutable, rule: self == oldSelf}]}
    x-kubernetes-validations:
    - message: ChartName must be defined
      rule: 'self.repositoryURL.startsWith(''http'') ? size(self.chartName) >= 1 : true'
  other:
    type: object
    additionalProperties: true
    x-kubernetes-validations:
    - {message: nope, rule: 'self.x == 1'}
`

func TestSveltosKeywords(t *testing.T) {
	s := mustParse(t, sveltosLikeSchema)
	tests := []struct {
		name string
		doc  string
		want []string
	}{
		{name: "valid", doc: `{tier: 5, refs: [{identifier: a}, {identifier: b}], chart: {repositoryURL: "gitrepository://ns/n/p", pullMode: true}}`},
		{name: "http chart with a name", doc: `{chart: {repositoryURL: "https://charts.example", chartName: x}}`},
		{name: "bounds", doc: `{tier: 0}`, want: []string{"tier: 0 is less than the minimum 1"}},
		{name: "upper bound", doc: `{tier: 201}`, want: []string{"tier: 201 is more than the maximum 200"}},
		{name: "map keys unique", doc: `{refs: [{identifier: a}, {identifier: a, kind: x}]}`, want: []string{"refs: items 0 and 1 have the same identifier"}},
		{name: "CEL rule fails", doc: `{chart: {repositoryURL: "https://charts.example"}}`, want: []string{"chart: ChartName must be defined"}},
		{name: "unknown CEL rule", doc: `{other: {x: 1}}`, want: []string{`other: x-kubernetes-validations rule "self.x == 1" is not written out`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := yaml.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			errs := s.Validate(doc)
			if len(errs) != len(tt.want) {
				t.Fatalf("errors %v, want %v", errs, tt.want)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tt.want[i]) {
					t.Errorf("error %v, want %q", e, tt.want[i])
				}
			}
		})
	}
}

func TestParseRefusesHalfAMapList(t *testing.T) {
	for _, src := range []string{
		`{type: array, x-kubernetes-list-type: map, items: {type: object}}`,
		`{type: array, x-kubernetes-list-map-keys: [a], items: {type: object}}`,
		`{type: object, x-kubernetes-validations: [{rule: x, severity: high}]}`,
	} {
		var raw any
		if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(raw); err == nil {
			t.Errorf("Parse(%s) accepted a schema it cannot check", src)
		}
	}
}

func TestClusterObjectMeta(t *testing.T) {
	var ok, namespaced any
	if err := yaml.Unmarshal([]byte(`{name: core-basic-dev, labels: {a: b}}`), &ok); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(`{name: core-basic-dev, namespace: x}`), &namespaced); err != nil {
		t.Fatal(err)
	}
	if errs := ClusterObjectMeta(ok); len(errs) != 0 {
		t.Errorf("cluster-scoped metadata: %v", errs)
	}
	if errs := ClusterObjectMeta(namespaced); len(errs) != 1 || !strings.Contains(errs[0].Error(), "cluster-scoped") {
		t.Errorf("a namespace on a cluster-scoped object: %v", errs)
	}
	if errs := ObjectMeta(ok); len(errs) != 1 {
		t.Errorf("a namespaced object without a namespace: %v", errs)
	}
}
