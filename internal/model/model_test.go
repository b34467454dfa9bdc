package model_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/platformc/platformc/internal/load"
	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/platformtest"
)

// TestMirrorsSchema keeps the Go types in step with schema/: the reference
// platform, exported from CUE, must decode into them with no unknown field,
// and encode back to the same data, so that a field added on either side
// alone fails here.
func TestMirrorsSchema(t *testing.T) {
	lp, err := load.Selected(load.Config{Dir: platformtest.RepoRoot(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()

	roundTrip(t, "platform", lookup(t, ctx.BuildInstance(lp.Platform), "platform"), &model.Defaults{})

	bundles := lookup(t, ctx.BuildInstance(lp.Bundles), "bundles")
	iter, err := bundles.Fields()
	if err != nil {
		t.Fatal(err)
	}
	apps := 0
	for iter.Next() {
		b := iter.Value()
		// Apps are checked one by one below.
		roundTrip(t, "bundle "+iter.Selector().String(), without(t, b, "apps"), &model.Bundle{}, "apps")
		ai, err := b.LookupPath(cue.ParsePath("apps")).Fields()
		if err != nil {
			t.Fatal(err)
		}
		for ai.Next() {
			// Values are per cluster: they are checked with the clusters.
			roundTrip(t, "app "+ai.Selector().String(), without(t, ai.Value(), "values"), &model.App{})
			apps++
		}
	}
	if apps == 0 {
		t.Fatal("the reference platform has no apps")
	}

	clusters := 0
	for _, dir := range lp.Clusters {
		v := ctx.BuildInstance(dir.Instance)
		for _, d := range dir.Declared {
			c := v.LookupPath(cue.MakePath(cue.Str("clusters"), cue.Str(d.Name)))
			roundTrip(t, "cluster "+d.Name, c, &model.Cluster{})
			clusters++
		}
	}
	if clusters != 3 {
		t.Fatalf("decoded %d clusters, want the reference platform's 3", clusters)
	}
}

func lookup(t *testing.T, v cue.Value, path string) cue.Value {
	t.Helper()
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	f := v.LookupPath(cue.ParsePath(path))
	if !f.Exists() {
		t.Fatalf("no field %s", path)
	}
	return f
}

// without exports v's regular fields but skip.
func without(t *testing.T, v cue.Value, skip string) map[string]json.RawMessage {
	t.Helper()
	iter, err := v.Fields()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for iter.Next() {
		if iter.Selector().Unquoted() == skip {
			continue
		}
		data, err := iter.Value().MarshalJSON()
		if err != nil {
			t.Fatalf("%s: %v", iter.Selector(), err)
		}
		out[iter.Selector().Unquoted()] = data
	}
	return out
}

// roundTrip decodes src (a cue.Value or exported fields) into dst, refusing
// unknown fields, and checks that dst encodes back to the same data, but
// for the fields left out of src.
func roundTrip(t *testing.T, what string, src any, dst any, leftOut ...string) {
	t.Helper()
	data, err := json.Marshal(src)
	if err != nil {
		t.Fatalf("%s: export: %v", what, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		t.Fatalf("%s: the CUE has a field the Go type lacks: %v", what, err)
	}
	back, err := json.Marshal(dst)
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(back, &got); err != nil {
		t.Fatal(err)
	}
	for _, f := range leftOut {
		delete(got.(map[string]any), f)
	}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("%s: the Go type does not mirror the CUE:\n cue: %s\n  go: %s", what, data, back)
	}
}

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"a", true},
		{"prod-edge-1", true},
		{"0", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"-a", false},
		{"a-", false},
		{"A", false},
		{"a_b", false},
		{"a.b", false},
		{"a/b", false},
		{"..", false},
		{"é", false},
		{"a b", false},
	} {
		if got := model.ValidName(tc.name); got != tc.ok {
			t.Errorf("ValidName(%q) = %v, want %v", tc.name, got, tc.ok)
		}
	}
}
