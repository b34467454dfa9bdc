package eval

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	cueerrors "cuelang.org/go/cue/errors"

	"github.com/platformc/platformc/internal/model"
)

func bundlesRequiring(edges map[string][]string) map[string]*model.Bundle {
	out := map[string]*model.Bundle{}
	for name, requires := range edges {
		out[name] = &model.Bundle{Name: name, Requires: requires}
	}
	return out
}

func TestCycles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edges map[string][]string
		want  []cycle
	}{
		{"none", map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, nil},
		{"diamond", map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": nil}, nil},
		{"self", map[string][]string{"a": {"a"}}, []cycle{{[]string{"a"}, []string{"a", "a"}}}},
		{"two", map[string][]string{"b": {"a"}, "a": {"b"}}, []cycle{{[]string{"a", "b"}, []string{"a", "b", "a"}}}},
		{"from the smallest name", map[string][]string{"c": {"a"}, "a": {"b"}, "b": {"c"}}, []cycle{{[]string{"a", "b", "c"}, []string{"a", "b", "c", "a"}}}},
		{"listed twice", map[string][]string{"a": {"b", "b"}, "b": {"a"}}, []cycle{{[]string{"a", "b"}, []string{"a", "b", "a"}}}},
		{"shortest of several", map[string][]string{"a": {"b", "c"}, "b": {"c"}, "c": {"a"}}, []cycle{{[]string{"a", "b", "c"}, []string{"a", "c", "a"}}}},
		{"one set, one cycle shown", map[string][]string{"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}, []cycle{{[]string{"a", "b", "c"}, []string{"a", "b", "a"}}}},
		{"two sets", map[string][]string{"a": {"b"}, "b": {"a"}, "x": {"y"}, "y": {"x", "a"}}, []cycle{{[]string{"a", "b"}, []string{"a", "b", "a"}}, {[]string{"x", "y"}, []string{"x", "y", "x"}}}},
		{"beside a missing bundle", map[string][]string{"a": {"nope", "b"}, "b": {"a"}}, []cycle{{[]string{"a", "b"}, []string{"a", "b", "a"}}}},
	} {
		if got := cycles(bundlesRequiring(tc.edges)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: cycles = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCyclesAreLinear: 200 bundles each requiring every other have more
// simple cycles than can be listed; they are one set, found at once.
func TestCyclesAreLinear(t *testing.T) {
	edges := map[string][]string{}
	var names []string
	for i := range 200 {
		names = append(names, fmt.Sprintf("b%03d", i))
	}
	for _, n := range names {
		edges[n] = names
	}
	got := cycles(bundlesRequiring(edges))
	if len(got) != 1 || len(got[0].members) != 200 || !reflect.DeepEqual(got[0].path, []string{"b000", "b000"}) {
		t.Errorf("got %d sets, first %v", len(got), got)
	}
}

func TestRequirementsMessages(t *testing.T) {
	errs := requirements(bundlesRequiring(map[string][]string{"a": {"b", "nope"}, "b": {"a"}, "c": nil, "x": {"y"}, "y": {"x", "z"}, "z": {"y"}}))
	var msgs []string
	for _, e := range cueerrors.Errors(errs) {
		format, args := e.Msg()
		msgs = append(msgs, fmt.Sprintf(format, args...))
	}
	want := []string{
		`bundle "a" requires bundle "nope", which does not exist (bundles: a, b, c, x, y, z)`,
		`bundle requirements form a cycle: "a" requires "b", which requires "a"; bundles that require each other are one bundle`,
		`bundles "x", "y" and "z" require each other through their requirements (a cycle: "x" requires "y", which requires "x"); bundles that require each other are one bundle`,
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}
