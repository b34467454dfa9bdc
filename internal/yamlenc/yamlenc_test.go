package yamlenc

import (
	"bytes"
	"reflect"
	"testing"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"go.yaml.in/yaml/v3"
)

// FuzzYAMLReadsBack: a values document with the fuzzer's keys and values
// reads back as the same data with yaml.v3 (YAML 1.2, what ArgoCD's Go
// tools read) and yaml.v2 (YAML 1.1, what Helm reads values with): no key
// or string is taken for a merge key, a boolean, a number, a null or a
// date. Seeds are the strings YAML 1.1 reads as something else.
func FuzzYAMLReadsBack(f *testing.F) {
	for _, s := range []string{"<<", "yes", "on", "off", "y", "N", "~", "null", "1e3", "1_000", "017", "0o17", "0x1F",
		"1:20", "190:20:30.15", "2001-12-14", ".inf", "-.Inf", ".NaN", "=", "", "0b101", "+12", "1.", "-", "? x", "!a", "&a", "*a", "a: b", "#c", "- x", "'", "\"", "\t", "\n", "\u2028"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		if !utf8.ValidString(key) || !utf8.ValidString(value) {
			t.Skip("CUE strings are UTF-8 (load refuses files that are not)")
		}
		in := map[string]any{key: value, "nested": map[string]any{key: []any{value}}}
		var b bytes.Buffer
		if err := Encode(&b, in); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		var v3 map[string]any
		if err := yaml.Unmarshal(data, &v3); err != nil {
			t.Fatalf("yaml.v3 cannot read it back: %v\n%s", err, data)
		}
		if !reflect.DeepEqual(v3, in) {
			t.Fatalf("yaml.v3 reads back %#v\n%s", v3, data)
		}
		var v2 map[string]any
		if err := yamlv2.Unmarshal(data, &v2); err != nil {
			t.Fatalf("yaml.v2 (YAML 1.1) cannot read it back: %v\n%s", err, data)
		}
		got := map[string]any{}
		for k, e := range v2 {
			got[k] = plain(e)
		}
		if !reflect.DeepEqual(got, in) {
			t.Fatalf("yaml.v2 (YAML 1.1) reads back %#v\n%s", got, data)
		}
	})
}

// plain turns yaml.v2's maps into map[string]any.
func plain(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := map[string]any{}
		for k, e := range x {
			m[k.(string)] = plain(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
	}
	return v
}
