package openapi

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func mustParse(t *testing.T, src string) *Schema {
	t.Helper()
	var raw any
	if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testSchema = `
type: object
required: [spec]
properties:
  spec:
    type: object
    required: [name]
    properties:
      name: {type: string, minLength: 1, maxLength: 5, pattern: '^[a-z]+$'}
      replicas: {type: integer, format: int32}
      ratio: {type: number}
      enabled: {type: boolean}
      phase: {type: string, enum: [A, B]}
      when: {type: string, format: date-time}
      tags: {type: array, x-kubernetes-list-type: atomic, items: {type: string}}
      labels: {type: object, additionalProperties: {type: string}}
      size: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}], pattern: '^[0-9]+Gi$'}
      free: {type: object, x-kubernetes-preserve-unknown-fields: true}
      open: {type: object, additionalProperties: true}
      either: {anyOf: [{type: integer}, {type: boolean}]}
      maybe: {type: string, nullable: true}
`

func TestValidate(t *testing.T) {
	s := mustParse(t, testSchema)
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the errors, in order
	}{
		{name: "valid", doc: `spec: {name: ab, replicas: 3, ratio: 0.5, enabled: true, phase: B, when: "2024-01-02T03:04:05Z",
			tags: [x], labels: {a: b}, size: 16Gi, free: {any: [1]}, open: {x: 1}, either: true, maybe: null}`},
		{name: "int-or-string takes an integer", doc: `spec: {name: a, size: 16}`},
		{name: "missing required", doc: `{}`, want: []string{`<root>: required field "spec" is missing`}},
		{name: "missing nested required", doc: `spec: {}`, want: []string{`spec: required field "name" is missing`}},
		{name: "unknown field", doc: `spec: {name: a, nmae: b}`, want: []string{`spec: unknown field "nmae"`}},
		{name: "wrong types", doc: `spec: {name: 1, replicas: "3", enabled: "yes", tags: x}`, want: []string{
			"spec.enabled: want boolean, got a string", "spec.name: want string, got a number",
			"spec.replicas: want integer, got a string", "spec.tags: want array, got a string",
		}},
		{name: "not an integer", doc: `spec: {name: a, replicas: 1.5}`, want: []string{"spec.replicas: want integer, got a number"}},
		{name: "int32 range", doc: `spec: {name: a, replicas: 3000000000}`, want: []string{"out of int32 range"}},
		{name: "string constraints", doc: `spec: {name: ABCDEFG}`, want: []string{"longer than 5", `does not match`}},
		{name: "too short", doc: `spec: {name: ""}`, want: []string{"shorter than 1", "does not match"}},
		{name: "enum", doc: `spec: {name: a, phase: C}`, want: []string{"spec.phase: C is not one of [A B]"}},
		{name: "date-time", doc: `spec: {name: a, when: yesterday}`, want: []string{`"yesterday" is not a date-time`}},
		{name: "items and additional properties", doc: `spec: {name: a, tags: [x, 1], labels: {a: true}}`, want: []string{
			"spec.labels.a: want string, got a boolean", "spec.tags[1]: want string, got a number",
		}},
		{name: "int-or-string pattern", doc: `spec: {name: a, size: 16G}`, want: []string{`spec.size: "16G" does not match`}},
		{name: "int-or-string type", doc: `spec: {name: a, size: true}`, want: []string{"spec.size: want an integer or a string, got a boolean"}},
		{name: "anyOf", doc: `spec: {name: a, either: x}`, want: []string{"spec.either: matches none of anyOf"}},
		{name: "null", doc: `spec: {name: null}`, want: []string{"spec.name: null is not allowed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc any
			if err := yaml.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			errs := s.Validate(doc)
			if len(errs) != len(tt.want) {
				t.Fatalf("errors %v, want %d: %v", errs, len(tt.want), tt.want)
			}
			for i, e := range errs {
				if !strings.Contains(e.Error(), tt.want[i]) {
					t.Errorf("error %d: %v, want it to contain %q", i, e, tt.want[i])
				}
			}
		})
	}
}

func TestParseRefusesWhatItDoesNotCheck(t *testing.T) {
	for _, src := range []string{
		`{type: object, properties: {a: {type: string, maxItems: 3}}}`,
		`{type: array, x-kubernetes-list-type: set, items: {type: string}}`,
		`{oneOf: [{type: string}]}`,
		`{type: strin}`,
		`{type: string, pattern: '('}`,
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

func TestObjectMeta(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{doc: `{name: cluster-a, namespace: argocd, labels: {env: dev, corp.local/team: a}, annotations: {run.tanzu.vmware.com/resolve-os-image: "os-name=ubuntu"}}`},
		{doc: `{name: Bad_Name, namespace: argocd}`, want: []string{`metadata.name: "Bad_Name" is not a DNS subdomain`}},
		{doc: `{name: a}`, want: []string{`metadata.namespace: "" is not a DNS label`}},
		{doc: `{name: a, namespace: ns, labels: {"bad key": x, ok: "not ok!"}}`, want: []string{
			`metadata.labels: key "bad key" is not a qualified name`, `metadata.labels.ok: "not ok!" is not a label value`,
		}},
		{doc: `{name: a, namespace: ns, uid: x}`, want: []string{`metadata: field "uid" is not one platformc writes`}},
	}
	for _, tt := range tests {
		var doc any
		if err := yaml.Unmarshal([]byte(tt.doc), &doc); err != nil {
			t.Fatal(err)
		}
		errs := ObjectMeta(doc)
		if len(errs) != len(tt.want) {
			t.Errorf("%s: errors %v, want %v", tt.doc, errs, tt.want)
			continue
		}
		for i, e := range errs {
			if !strings.Contains(e.Error(), tt.want[i]) {
				t.Errorf("%s: error %v, want %q", tt.doc, e, tt.want[i])
			}
		}
	}
}

func TestValidateObject(t *testing.T) {
	s := mustParse(t, `{type: object, required: [spec], properties: {apiVersion: {type: string}, metadata: {type: object}, spec: {type: object}}}`)
	var ok, bad, none map[string]any
	for src, dst := range map[string]*map[string]any{
		`{apiVersion: v1, metadata: {name: a, namespace: ns, labels: {x: z}}, spec: {}}`: &ok,
		`{apiVersion: v1, metadata: {name: A, namespace: ns}, spec: {}}`:                 &bad,
		`{apiVersion: v1, spec: {}}`: &none,
	} {
		if err := yaml.Unmarshal([]byte(src), dst); err != nil {
			t.Fatal(err)
		}
	}
	if errs := s.ValidateObject(ok); len(errs) != 0 {
		t.Errorf("valid object: %v", errs)
	}
	if errs := s.ValidateObject(bad); len(errs) != 1 || !strings.Contains(errs[0].Error(), "metadata.name") {
		t.Errorf("bad name: %v", errs)
	}
	if errs := s.ValidateObject(none); len(errs) != 1 || !strings.Contains(errs[0].Error(), "metadata: missing") {
		t.Errorf("no metadata: %v", errs)
	}
}
