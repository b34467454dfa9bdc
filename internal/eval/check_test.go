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
		want  [][]string
	}{
		{"none", map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, nil},
		{"diamond", map[string][]string{"a": {"b", "c"}, "b": {"d"}, "c": {"d"}, "d": nil}, nil},
		{"self", map[string][]string{"a": {"a"}}, [][]string{{"a", "a"}}},
		{"two", map[string][]string{"b": {"a"}, "a": {"b"}}, [][]string{{"a", "b", "a"}}},
		{"found once from its smallest name", map[string][]string{"c": {"a"}, "a": {"b"}, "b": {"c"}}, [][]string{{"a", "b", "c", "a"}}},
		{"listed twice", map[string][]string{"a": {"b", "b"}, "b": {"a"}}, [][]string{{"a", "b", "a"}}},
		{"two cycles through one bundle", map[string][]string{"a": {"b", "c"}, "b": {"a"}, "c": {"a"}}, [][]string{{"a", "b", "a"}, {"a", "c", "a"}}},
		{"cycle beside a missing bundle", map[string][]string{"a": {"nope", "b"}, "b": {"a"}}, [][]string{{"a", "b", "a"}}},
	} {
		if got := cycles(bundlesRequiring(tc.edges)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: cycles = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRequirementsMessages(t *testing.T) {
	errs := requirements(bundlesRequiring(map[string][]string{"a": {"b", "nope"}, "b": {"a"}, "c": nil}))
	var msgs []string
	for _, e := range cueerrors.Errors(errs) {
		format, args := e.Msg()
		msgs = append(msgs, fmt.Sprintf(format, args...))
	}
	want := []string{
		`bundle "a" requires bundle "nope", which does not exist (bundles: a, b, c)`,
		`bundle requirements form a cycle: "a" requires "b", which requires "a"; bundles that require each other are one bundle`,
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}
