package cli

import (
	"testing"

	"github.com/spf13/cobra"
)

// TestEveryCommandTeaches: every command has a short line, a long help and
// an example, as --help promises.
func TestEveryCommandTeaches(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			// cobra's completion scripts teach in their long help, which
			// says how to load each; their parent has the example.
			if sub.Runnable() && c.Name() != "completion" {
				if sub.Short == "" || sub.Example == "" {
					t.Errorf("%s: short %q, example %q: every command needs both", sub.CommandPath(), sub.Short, sub.Example)
				}
			}
			walk(sub)
		}
	}
	root := newRootCmd()
	if root.Example == "" {
		t.Error("platformc has no example")
	}
	walk(root)
}
