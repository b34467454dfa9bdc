package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestPanicPrintsNoSecret: a bug that panics with a secret in hand prints
// the panic and its stack through the redactor, and exits 1.
func TestPanicPrintsNoSecret(t *testing.T) {
	root := newRootCmd()
	root.AddCommand(&cobra.Command{Use: "boom", RunE: func(cmd *cobra.Command, _ []string) error {
		sessionOf(cmd).redactor.Add("TOKEN", "hunter2-correct-horse")
		panic("cannot parse hunter2-correct-horse")
	}})
	var stdout, stderr bytes.Buffer
	if code := execute(context.Background(), root, []string{"boom"}, &stdout, &stderr); code != ExitPlatform {
		t.Errorf("exit %d, want %d", code, ExitPlatform)
	}
	out := stdout.String() + stderr.String()
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "platformc: internal error: cannot parse <redacted TOKEN>; please report it") {
		t.Errorf("printed:\n%s", out)
	}
}
