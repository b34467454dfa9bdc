package pipeline

import (
	"os"
	"os/exec"
	"strings"
	"testing"
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
