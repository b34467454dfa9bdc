package suggest

import (
	"testing"
	"unicode/utf8"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"", "abc", 3},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"prod-edg-1", "prod-edge-1", 1},
		{"monitring-basic", "monitoring-basic", 1},
		{"core-basic", "core-basic", 0},
		{"ab", "ba", 2},
		{"naïve", "naive", 1},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"armored-core-development", "dev-alpha", "prod-edge-1"}
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"prod-edg-1", "prod-edge-1", true},
		{"dev-alhpa", "dev-alpha", true},
		{"armored-core-dev", "armored-core-development", true}, // 8 edits, but the only one it begins
		{"dev", "dev-alpha", true},
		{"staging", "", false},
		{"dev-alpha", "", false}, // the name itself is no suggestion
	}
	for _, tt := range tests {
		got, ok := Closest(tt.name, known)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := Closest("x", nil); ok {
		t.Errorf("Closest among nothing = %q", got)
	}
	if got, ok := Closest("monitoring", []string{"monitoring-basic", "monitoring-medium"}); ok {
		t.Errorf("Closest(monitoring) = %q; want none: it begins two names", got)
	}
}

// FuzzDistance checks the metric's properties on any pair of names a user
// could type.
func FuzzDistance(f *testing.F) {
	f.Add("prod-edge-1", "prod-edg-1")
	f.Add("", "dev")
	f.Add("naïve", "naive")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			t.Skip()
		}
		d := Distance(a, b)
		la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
		if d != Distance(b, a) {
			t.Errorf("not symmetric: %q %q", a, b)
		}
		if d < max(la, lb)-min(la, lb) || d > max(la, lb) {
			t.Errorf("Distance(%q, %q) = %d, outside [%d, %d]", a, b, d, max(la, lb)-min(la, lb), max(la, lb))
		}
		if (d == 0) != (a == b) {
			t.Errorf("Distance(%q, %q) = %d", a, b, d)
		}
	})
}
