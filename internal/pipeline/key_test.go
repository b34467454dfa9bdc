package pipeline

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/model"
)

// TestGoBuildID checks that the build ID read from the test binary is the
// one go tool buildid reports.
func TestGoBuildID(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	id, ok := goBuildID(exe)
	if !ok {
		t.Skip("no Go build ID note in the test binary (not ELF?)")
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if got, want := string(id), strings.TrimSpace(string(out)); got != want {
		t.Errorf("build ID %q, go tool buildid says %q", got, want)
	}
	if _, ok := goBuildID("/nonexistent"); ok {
		t.Error("a build ID for a file that does not exist")
	}
}

// TestCatalogKeyNilAndEmpty checks that a bundle without requires keys
// the same whether it was evaluated (nil) or read back from the cache's
// JSON (empty), so that cached and fresh platforms give the same keys.
func TestCatalogKeyNilAndEmpty(t *testing.T) {
	fresh := map[string]*model.Bundle{"a": {Name: "a"}}
	cached := map[string]*model.Bundle{"a": {Name: "a", Requires: []string{}, Apps: map[string]*model.App{}}}
	if string(catalogKey(fresh)) != string(catalogKey(cached)) {
		t.Error("nil and empty requires or apps give different catalog keys")
	}
	changed := map[string]*model.Bundle{"a": {Name: "a", Required: true}}
	if string(catalogKey(fresh)) == string(catalogKey(changed)) {
		t.Error("a bundle made required does not change the catalog key")
	}
}
