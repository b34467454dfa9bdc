package cli

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestAtRevision: patterns select the same directories at REF as in the
// working tree; one naming a directory REF lacks is dropped.
func TestAtRevision(t *testing.T) {
	root := filepath.Join(t.TempDir(), "wt")
	ref := t.TempDir()
	for _, d := range []string{"clusters/dev/a", "clusters/prod"} {
		if err := os.MkdirAll(filepath.Join(ref, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		cwd      string
		patterns []string
		want     []string
		ok       bool
	}{
		{cwd: root, want: nil, ok: true},
		{cwd: root, patterns: []string{"./clusters/..."}, want: []string{"./clusters/..."}, ok: true},
		{cwd: root, patterns: []string{"./clusters/dev/a", "./clusters/dev/new"}, want: []string{"./clusters/dev/a"}, ok: true},
		{cwd: root, patterns: []string{"./clusters/staging/..."}, ok: false},
		{cwd: filepath.Join(root, "clusters", "prod"), patterns: []string{"..."}, want: []string{"..."}, ok: true},
		{cwd: filepath.Join(root, "clusters", "prod"), patterns: []string{"./new"}, ok: false},
		{cwd: root, patterns: []string{filepath.Join(root, "clusters/dev") + "/..."}, want: []string{filepath.Join(ref, "clusters/dev") + "/..."}, ok: true},
		{cwd: root, patterns: []string{filepath.Join(root, "clusters/dev/a")}, want: []string{filepath.Join(ref, "clusters/dev/a")}, ok: true},
		// Outside the module: left for the working tree's refusal.
		{cwd: root, patterns: []string{"../elsewhere/..."}, want: []string{"../elsewhere/..."}, ok: true},
	} {
		got, ok := atRevision(tc.patterns, tc.cwd, root, ref)
		if ok != tc.ok || (ok && !slices.Equal(got, tc.want)) {
			t.Errorf("atRevision(%q) from %s: %q, %v; want %q, %v", tc.patterns, tc.cwd, got, ok, tc.want, tc.ok)
		}
	}
}
