// Package openapi validates objects against the structural OpenAPI v3
// schemas of CustomResourceDefinitions, for the tests that check every
// manifest platformc writes against the upstream CRDs. It implements the
// subset those CRDs use, and refuses a schema that uses anything else
// rather than pass it unchecked:
//
//   - type (object, array, string, integer, number, boolean), nullable
//   - properties, required, additionalProperties (schema or boolean),
//     unknown fields refused as the API server's strict field validation
//     does, unless x-kubernetes-preserve-unknown-fields
//   - items, x-kubernetes-list-type: atomic or map (with
//     x-kubernetes-list-map-keys: the keys unique), x-kubernetes-map-type
//   - enum, pattern, minLength, maxLength, minimum, maximum
//   - anyOf, x-kubernetes-int-or-string
//   - format: int32, int64, date-time and byte are checked; Kubernetes
//     ignores formats it does not know, and so does this package
//   - default is accepted and not applied: the API server fills a missing
//     field with it, and platformc's objects are checked as written
//   - x-kubernetes-validations: the CEL rules of the upstream CRDs that
//     platformc's objects reach are written out in Go (celRules); a rule
//     that is not there fails the validation of any value it applies to,
//     and transition rules (reading oldSelf) apply only to updates, so not
//     to the objects checked here
//
// Object metadata, which CRD schemas leave as "type: object", is checked by
// ObjectMeta as the API server checks it.
package openapi

import (
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// Schema is one node of a structural schema.
type Schema struct {
	Type                 string
	Format               string
	Nullable             bool
	Properties           map[string]*Schema
	Required             []string
	AdditionalProperties *Schema
	// AdditionalAllowed is additionalProperties: true.
	AdditionalAllowed bool
	PreserveUnknown   bool
	Items             *Schema
	Enum              []any
	Pattern           *regexp.Regexp
	MinLength         *int
	MaxLength         *int
	AnyOf             []*Schema
	IntOrString       bool
	Minimum, Maximum  *float64
	// ListMapKeys are the keys of an x-kubernetes-list-type: map.
	ListMapKeys []string
	// Validations are the x-kubernetes-validations rules.
	Validations []Rule
}

// Rule is one x-kubernetes-validations rule.
type Rule struct {
	Rule, Message string
}

var known = []string{
	"description", "type", "format", "nullable", "properties", "required",
	"additionalProperties", "items", "enum", "pattern", "minLength", "maxLength",
	"anyOf", "x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields",
	"x-kubernetes-list-type", "x-kubernetes-map-type", "x-kubernetes-list-map-keys",
	"x-kubernetes-validations", "default", "minimum", "maximum",
}

// Parse reads a schema from its decoded YAML or JSON form.
func Parse(raw any) (*Schema, error) { return parse(raw, "") }

func parse(raw any, at string) (*Schema, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema is an object, got %T", where(at), raw)
	}
	s := &Schema{}
	for k, v := range m {
		if !slices.Contains(known, k) {
			return nil, fmt.Errorf("%s: schema keyword %q is not supported by this validator", where(at), k)
		}
		var err error
		switch k {
		case "type":
			s.Type, err = str(v)
		case "format":
			s.Format, err = str(v)
		case "nullable":
			s.Nullable, err = boolean(v)
		case "x-kubernetes-int-or-string":
			s.IntOrString, err = boolean(v)
		case "x-kubernetes-preserve-unknown-fields":
			s.PreserveUnknown, err = boolean(v)
		case "x-kubernetes-list-type":
			if v != "atomic" && v != "map" {
				err = fmt.Errorf("x-kubernetes-list-type %v is not supported (only atomic and map)", v)
			}
		case "x-kubernetes-list-map-keys":
			list, isList := v.([]any)
			if !isList {
				err = fmt.Errorf("x-kubernetes-list-map-keys is not a list")
			}
			for _, k := range list {
				key, e := str(k)
				if e != nil {
					err = e
				}
				s.ListMapKeys = append(s.ListMapKeys, key)
			}
		case "x-kubernetes-validations":
			s.Validations, err = rules(v)
		case "default":
			// Applied by the API server to a missing field; nothing to check.
		case "minimum", "maximum":
			n, isNum := v.(float64)
			if !isNum {
				err = fmt.Errorf("%s is not a number", k)
				break
			}
			if k == "minimum" {
				s.Minimum = &n
			} else {
				s.Maximum = &n
			}
		case "x-kubernetes-map-type":
			if v != "atomic" && v != "granular" {
				err = fmt.Errorf("x-kubernetes-map-type %v is unknown", v)
			}
		case "properties":
			props, isMap := v.(map[string]any)
			if !isMap {
				err = fmt.Errorf("properties is not an object")
				break
			}
			s.Properties = map[string]*Schema{}
			for name, p := range props {
				if s.Properties[name], err = parse(p, at+"."+name); err != nil {
					return nil, err
				}
			}
		case "required":
			list, isList := v.([]any)
			if !isList {
				err = fmt.Errorf("required is not a list")
			}
			for _, r := range list {
				name, e := str(r)
				if e != nil {
					err = e
				}
				s.Required = append(s.Required, name)
			}
		case "additionalProperties":
			if b, isBool := v.(bool); isBool {
				s.AdditionalAllowed = b
			} else {
				s.AdditionalProperties, err = parse(v, at+"{}")
			}
		case "items":
			s.Items, err = parse(v, at+"[]")
		case "enum":
			list, isList := v.([]any)
			if !isList {
				err = fmt.Errorf("enum is not a list")
			}
			s.Enum = list
		case "pattern":
			var p string
			if p, err = str(v); err == nil {
				s.Pattern, err = regexp.Compile(p)
			}
		case "minLength", "maxLength":
			n, isNum := v.(float64)
			if !isNum || n != math.Trunc(n) || n < 0 {
				err = fmt.Errorf("%s is not a count", k)
				break
			}
			i := int(n)
			if k == "minLength" {
				s.MinLength = &i
			} else {
				s.MaxLength = &i
			}
		case "anyOf":
			list, isList := v.([]any)
			if !isList {
				err = fmt.Errorf("anyOf is not a list")
			}
			for i, b := range list {
				branch, e := parse(b, fmt.Sprintf("%s.anyOf[%d]", at, i))
				if e != nil {
					return nil, e
				}
				s.AnyOf = append(s.AnyOf, branch)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where(at), err)
		}
	}
	switch s.Type {
	case "", "object", "array", "string", "integer", "number", "boolean":
	default:
		return nil, fmt.Errorf("%s: unknown type %q", where(at), s.Type)
	}
	if (m["x-kubernetes-list-type"] == "map") != (len(s.ListMapKeys) > 0) {
		return nil, fmt.Errorf("%s: x-kubernetes-list-type: map goes with x-kubernetes-list-map-keys", where(at))
	}
	return s, nil
}

// rules parses x-kubernetes-validations.
func rules(v any) ([]Rule, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("x-kubernetes-validations is not a list")
	}
	var out []Rule
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("x-kubernetes-validations: a rule is an object")
		}
		var r Rule
		for k, v := range m {
			var err error
			switch k {
			case "rule":
				r.Rule, err = str(v)
			case "message":
				r.Message, err = str(v)
			case "messageExpression", "reason", "fieldPath", "optionalOldSelf":
				// How a failure is reported, or (optionalOldSelf) when a
				// transition rule runs: not what is checked.
			default:
				err = fmt.Errorf("x-kubernetes-validations: key %q is not supported by this validator", k)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func str(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("want a string, got %T", v)
	}
	return s, nil
}

func boolean(v any) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("want a boolean, got %T", v)
	}
	return b, nil
}

func where(at string) string {
	if at == "" {
		return "<root>"
	}
	return strings.TrimPrefix(at, ".")
}

// Validate checks v (decoded from YAML or JSON: maps, slices, strings,
// float64, bool, nil) against the schema and returns every violation, each
// naming the path of the offending value.
func (s *Schema) Validate(v any) []error {
	var errs []error
	s.validate(v, "", &errs)
	return errs
}

// ValidateObject checks a whole Kubernetes object against its root schema.
// The API server treats metadata apart: a CRD's schema declares it as a
// bare "type: object", and its fields are ObjectMeta's, checked by
// ObjectMeta here.
func (s *Schema) ValidateObject(obj map[string]any) []error {
	return s.validateObject(obj, true)
}

// ValidateClusterObject checks a whole cluster-scoped Kubernetes object
// (one without a namespace, such as a ClusterProfile) as ValidateObject
// does a namespaced one.
func (s *Schema) ValidateClusterObject(obj map[string]any) []error {
	return s.validateObject(obj, false)
}

func (s *Schema) validateObject(obj map[string]any, namespaced bool) []error {
	rest := make(map[string]any, len(obj))
	for k, v := range obj {
		rest[k] = v
	}
	meta, ok := obj["metadata"]
	if !ok {
		return append(s.Validate(rest), fmt.Errorf("metadata: missing"))
	}
	rest["metadata"] = map[string]any{}
	return append(s.Validate(rest), objectMeta(meta, namespaced)...)
}

func (s *Schema) validate(v any, at string, errs *[]error) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%s: %s", where(at), fmt.Sprintf(format, args...)))
	}
	if v == nil {
		if !s.Nullable {
			fail("null is not allowed")
		}
		return
	}
	if s.IntOrString {
		if _, isStr := v.(string); !isStr && !isInteger(v) {
			fail("want an integer or a string, got %s", describe(v))
			return
		}
	} else if !s.hasType(v) {
		fail("want %s, got %s", s.Type, describe(v))
		return
	}
	if len(s.AnyOf) > 0 && !s.IntOrString {
		matched := false
		for _, b := range s.AnyOf {
			var sub []error
			b.validate(v, at, &sub)
			if len(sub) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			fail("matches none of anyOf")
		}
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return reflect.DeepEqual(e, v) }) {
		fail("%v is not one of %v", v, s.Enum)
	}
	for _, r := range s.Validations {
		if strings.Contains(r.Rule, "oldSelf") {
			continue // a transition rule: only on update
		}
		check, known := celRules[r.Rule]
		switch {
		case !known:
			fail("x-kubernetes-validations rule %q is not written out in this validator (celRules)", r.Rule)
		case !check(v):
			fail("%s (rule %s)", r.Message, r.Rule)
		}
	}
	switch v := v.(type) {
	case string:
		n := utf8.RuneCountInString(v)
		if s.MinLength != nil && n < *s.MinLength {
			fail("shorter than %d", *s.MinLength)
		}
		if s.MaxLength != nil && n > *s.MaxLength {
			fail("longer than %d", *s.MaxLength)
		}
		if s.Pattern != nil && !s.Pattern.MatchString(v) {
			fail("%q does not match %s", v, s.Pattern)
		}
		switch s.Format {
		case "date-time":
			if _, err := time.Parse(time.RFC3339, v); err != nil {
				fail("%q is not a date-time", v)
			}
		case "byte":
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				fail("not base64")
			}
		}
	case float64:
		if s.Minimum != nil && v < *s.Minimum {
			fail("%v is less than the minimum %v", v, *s.Minimum)
		}
		if s.Maximum != nil && v > *s.Maximum {
			fail("%v is more than the maximum %v", v, *s.Maximum)
		}
		switch s.Format {
		case "int32":
			if v < math.MinInt32 || v > math.MaxInt32 {
				fail("%v is out of int32 range", v)
			}
		case "int64":
			if v < math.MinInt64 || v > math.MaxInt64 {
				fail("%v is out of int64 range", v)
			}
		}
	case []any:
		if s.Items != nil {
			for i, e := range v {
				s.Items.validate(e, fmt.Sprintf("%s[%d]", at, i), errs)
			}
		}
		if len(s.ListMapKeys) > 0 {
			seen := map[string]int{}
			for i, e := range v {
				m, _ := e.(map[string]any)
				var key []string
				for _, k := range s.ListMapKeys {
					key = append(key, fmt.Sprint(m[k]))
				}
				id := strings.Join(key, "\x00")
				if j, dup := seen[id]; dup {
					fail("items %d and %d have the same %s", j, i, strings.Join(s.ListMapKeys, ", "))
				}
				seen[id] = i
			}
		}
	case map[string]any:
		for _, r := range s.Required {
			if _, ok := v[r]; !ok {
				fail("required field %q is missing", r)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			switch p, ok := s.Properties[k]; {
			case ok:
				p.validate(v[k], at+"."+k, errs)
			case s.AdditionalProperties != nil:
				s.AdditionalProperties.validate(v[k], at+"."+k, errs)
			case s.AdditionalAllowed || s.PreserveUnknown:
			default:
				fail("unknown field %q", k)
			}
		}
	}
}

func (s *Schema) hasType(v any) bool {
	switch s.Type {
	case "":
		return true
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		return isInteger(v)
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	}
	return false
}

func isInteger(v any) bool {
	f, ok := v.(float64)
	return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
}

func describe(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// CRD is a CustomResourceDefinition's identity and the schema of each of
// its versions.
type CRD struct {
	Group    string
	Kind     string
	Versions map[string]*Schema
}

// LoadCRD reads a CustomResourceDefinition from a YAML file.
func LoadCRD(path string) (*CRD, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// Some upstream files start with a "---" line; the document is the same.
	data = []byte(strings.TrimPrefix(string(data), "---\n"))
	var doc struct {
		Kind string `json:"kind"`
		Spec struct {
			Group string `json:"group"`
			Names struct {
				Kind string `json:"kind"`
			} `json:"names"`
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema any `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind != "CustomResourceDefinition" {
		return nil, fmt.Errorf("%s: a %s, not a CustomResourceDefinition", path, doc.Kind)
	}
	crd := &CRD{Group: doc.Spec.Group, Kind: doc.Spec.Names.Kind, Versions: map[string]*Schema{}}
	for _, v := range doc.Spec.Versions {
		s, err := Parse(v.Schema.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("%s: version %s: %w", path, v.Name, err)
		}
		crd.Versions[v.Name] = s
	}
	return crd, nil
}

var (
	dnsLabel     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	qualifiedKey = regexp.MustCompile(`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
	labelValue   = regexp.MustCompile(`^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$`)
)

// ObjectMeta checks the metadata of a namespaced object as the API server
// does for the fields platformc writes: name (a DNS subdomain), namespace
// (a DNS label), labels and annotations (qualified-name keys, label values
// of at most 63 characters). Other ObjectMeta fields are refused: platformc
// does not write them.
func ObjectMeta(v any) []error { return objectMeta(v, true) }

// ClusterObjectMeta checks the metadata of a cluster-scoped object as
// ObjectMeta does a namespaced one's: it has no namespace.
func ClusterObjectMeta(v any) []error { return objectMeta(v, false) }

func objectMeta(v any, namespaced bool) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf("metadata"+format, args...)) }
	m, ok := v.(map[string]any)
	if !ok {
		return []error{fmt.Errorf("metadata: want an object, got %s", describe(v))}
	}
	name, _ := m["name"].(string)
	if len(name) > 253 || !dnsSubdomain.MatchString(name) {
		fail(".name: %q is not a DNS subdomain", name)
	}
	ns, hasNS := m["namespace"].(string)
	switch {
	case !namespaced && hasNS:
		fail(".namespace: %q is set on a cluster-scoped object", ns)
	case namespaced && (len(ns) > 63 || !dnsLabel.MatchString(ns)):
		fail(".namespace: %q is not a DNS label", ns)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		switch k {
		case "name", "namespace":
		case "labels", "annotations":
			entries, ok := m[k].(map[string]any)
			if !ok {
				fail(".%s: want an object", k)
				continue
			}
			for _, key := range slices.Sorted(maps.Keys(entries)) {
				if !qualifiedName(key) {
					fail(".%s: key %q is not a qualified name", k, key)
				}
				val, ok := entries[key].(string)
				if !ok {
					fail(".%s.%s: want a string", k, key)
					continue
				}
				if k == "labels" && (len(val) > 63 || !labelValue.MatchString(val)) {
					fail(".labels.%s: %q is not a label value", key, val)
				}
			}
		default:
			fail(": field %q is not one platformc writes", k)
		}
	}
	return errs
}

// qualifiedName is Kubernetes' [prefix/]name for label and annotation keys.
func qualifiedName(key string) bool {
	prefix, name, hasPrefix := strings.Cut(key, "/")
	if !hasPrefix {
		name = prefix
	} else if len(prefix) > 253 || !dnsSubdomain.MatchString(prefix) {
		return false
	}
	return len(name) <= 63 && qualifiedKey.MatchString(name)
}
