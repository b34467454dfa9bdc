package preview

import (
	"reflect"
	"testing"
)

func TestReplace(t *testing.T) {
	params := map[string]string{"name": "edge-1", "server": "https://10.0.0.1:6443", "values.branch": "main"}
	tests := []struct {
		in, want string
	}{
		{"{{name}}-grafana", "edge-1-grafana"},
		{"$valuesRepo/cluster/{{name}}/monitoring/grafana/values.yaml", "$valuesRepo/cluster/edge-1/monitoring/grafana/values.yaml"},
		{"{{ values.branch }}", "main"},
		{"{{name}}{{name}}", "edge-1edge-1"},
		{"no tags", "no tags"},
		{"{{unknown}}-x", "{{unknown}}-x"},           // left as it was
		{"{{}}", "{{}}"},                             // an empty tag too
		{"{{  }}", "{{  }}"},                         // and a blank one
		{"{{name", "{{name"},                         // no closing braces: text
		{"a {{name}} b {{name", "a edge-1 b {{name"}, // a closed tag, then text
	}
	for _, tt := range tests {
		if got := Replace(tt.in, params); got != tt.want {
			t.Errorf("Replace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestReplaceAllLeavesKeys(t *testing.T) {
	in := map[string]any{
		"{{name}}": "{{name}}",
		"list":     []any{"{{server}}", 3, true},
	}
	got := replaceAll(in, map[string]string{"name": "a", "server": "s"})
	want := map[string]any{"{{name}}": "a", "list": []any{"s", 3, true}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if in["{{name}}"] != "{{name}}" {
		t.Error("replaceAll changed its input")
	}
}

func TestParams(t *testing.T) {
	g := ClusterGenerator{Values: map[string]string{
		"branch": "main",
		"url":    "https://{{name}}.example/{{metadata.labels.env}}",
		"echo":   "{{values.branch}}", // values do not see each other
	}}
	c := Cluster{
		Name: "Edge_1", Server: "https://e:6443",
		Labels:      map[string]string{"env": "prod"},
		Annotations: map[string]string{"owner": "edge"},
	}
	want := map[string]string{
		"name":                       "Edge_1",
		"nameNormalized":             "edge-1",
		"server":                     "https://e:6443",
		"project":                    "",
		"metadata.labels.env":        "prod",
		"metadata.annotations.owner": "edge",
		"values.branch":              "main",
		"values.url":                 "https://Edge_1.example/prod",
		"values.echo":                "{{values.branch}}",
	}
	if got := g.Params(c); !reflect.DeepEqual(got, want) {
		t.Errorf("Params =\n%v\nwant\n%v", got, want)
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"edge-1":       "edge-1",
		"My_Cluster":   "my-cluster",
		"-a.b-":        "a.b",
		"x@y z":        "x-y-z",
		"already.fine": "already.fine",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
