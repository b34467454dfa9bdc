package eval

import (
	"slices"
	"testing"

	"github.com/platformc/platformc/internal/load"
)

// TestSharedApps: the apps whose values read the cluster's name, its
// namespace or the whole view are not shared; the others are, while
// sharing pays (Worth).
func TestSharedApps(t *testing.T) {
	s := NewShared(map[string][]load.ViewPath{
		"env":       {{"env"}},
		"settings":  {{"env"}, {"settings", "registry"}},
		"none":      {},
		"name":      {{"name"}, {"settings"}},
		"namespace": {{"vsphereNamespace"}},
		"whole":     {{}},
	})
	if got, want := s.Apps(), []string{"env", "none", "settings"}; !slices.Equal(got, want) {
		t.Errorf("shared apps %v, want %v", got, want)
	}
	if s.Worth("name") || s.Worth("unknown") {
		t.Error("an app that is not shared is worth sharing")
	}
	for i := range SharedTrial {
		if !s.Worth("env") {
			t.Fatalf("not worth sharing in directory %d of the trial", i)
		}
	}
	c := s.byApp["env"]
	if c.marked.Load() != SharedTrial {
		t.Errorf("%d directories counted, want %d", c.marked.Load(), SharedTrial)
	}
	if s.Worth("env") {
		t.Error("worth sharing past the trial, with nothing evaluated yet")
	}
	c.evaluated.Store(5)
	c.served.Store(4)
	if s.Worth("env") {
		t.Error("worth sharing, served less often than evaluated")
	}
	c.served.Store(5)
	if !s.Worth("env") {
		t.Error("not worth sharing, served as often as evaluated")
	}
}
