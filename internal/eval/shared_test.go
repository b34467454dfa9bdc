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
	c := s.byApp["env"]
	c.evaluated.Store(SharedTrial - 1)
	if !s.Worth("env") {
		t.Errorf("not worth sharing after %d distinct inputs", SharedTrial-1)
	}
	c.evaluated.Store(SharedTrial)
	if s.Worth("env") {
		t.Errorf("still worth sharing after %d distinct inputs, none served", SharedTrial)
	}
	c.served.Store(SharedTrial)
	if !s.Worth("env") {
		t.Error("not worth sharing, served as often as evaluated")
	}
}
