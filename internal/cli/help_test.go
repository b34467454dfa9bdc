package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestEveryCommandTeaches: every command's --help teaches. It has a short
// line, a long help that says its exit status, and examples; each example
// is a command line this platformc accepts (the command exists, its flags
// parse, it takes the arguments given); and every flag says what it does.
func TestEveryCommandTeaches(t *testing.T) {
	root := newRootCmd()
	if root.Example == "" {
		t.Error("platformc has no example")
	}
	checkExamples(t, root, root)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			if sub.Hidden {
				continue
			}
			walk(sub)
			// cobra's completion scripts teach in their long help, which
			// says how to load each; their parent has the example.
			if !sub.Runnable() || c.Name() == "completion" {
				continue
			}
			if sub.Short == "" || sub.Long == "" || sub.Example == "" {
				t.Errorf("%s: short %q, long %d bytes, example %q: every command needs all three", sub.CommandPath(), sub.Short, len(sub.Long), sub.Example)
			}
			if evaluates(sub) && !strings.Contains(sub.Long, "Exit status") {
				t.Errorf("%s: its help does not say its exit status", sub.CommandPath())
			}
			sub.LocalFlags().VisitAll(func(f *pflag.Flag) {
				if f.Usage == "" && f.Name != "help" {
					t.Errorf("%s --%s: no usage text", sub.CommandPath(), f.Name)
				}
			})
			checkExamples(t, root, sub)
		}
	}
	walk(root)
}

// evaluates reports whether c evaluates the platform: it has the flags
// every such command shares.
func evaluates(c *cobra.Command) bool { return c.Flags().Lookup("timeout") != nil }

// checkExamples checks that each line of c's examples is a platformc
// command line that selects c (or one of its subcommands) and parses.
func checkExamples(t *testing.T, root, c *cobra.Command) {
	t.Helper()
	for _, line := range strings.Split(c.Example, "\n") {
		line, _, _ = strings.Cut(line, "#")
		line, _, _ = strings.Cut(line, "|")
		line, _, _ = strings.Cut(line, ">")
		fields := shellFields(strings.TrimSpace(line))
		if len(fields) == 0 {
			continue
		}
		if fields[0] == "source" && len(fields) > 1 {
			fields = fields[1:]
			fields[0] = strings.TrimPrefix(fields[0], "<(")
			fields[len(fields)-1] = strings.TrimSuffix(fields[len(fields)-1], ")")
		}
		if fields[0] != "platformc" {
			t.Errorf("%s: example %q does not run platformc", c.CommandPath(), line)
			continue
		}
		// A fresh tree per line: parsing sets flags.
		r := newRootCmd()
		found, args, err := r.Find(fields[1:])
		if err != nil {
			t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			continue
		}
		if !strings.HasPrefix(found.CommandPath(), c.CommandPath()) {
			t.Errorf("%s: example %q runs %s", c.CommandPath(), line, found.CommandPath())
			continue
		}
		if err := found.ParseFlags(args); err != nil {
			t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			continue
		}
		if found.Args != nil {
			if err := found.Args(found, found.Flags().Args()); err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			}
		}
	}
}

// shellFields splits a command line as a shell would, for the quoting the
// examples use: single and double quotes, no escapes.
func shellFields(s string) []string {
	var fields []string
	var cur strings.Builder
	quote, in := rune(0), false
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				fields = append(fields, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		fields = append(fields, cur.String())
	}
	return fields
}

// TestChecksListedOnce: the list of what platformc checks is written once
// (checks.txt); help model, vet --help and README.md show it as it is.
func TestChecksListedOnce(t *testing.T) {
	if !strings.Contains(modelHelp, checks) || strings.Contains(modelHelp, "{{checks}}") {
		t.Error("help model does not show checks.txt")
	}
	vet, _, _ := newRootCmd().Find([]string{"vet"})
	if !strings.Contains(vet.Long, checks) {
		t.Error("vet --help does not show checks.txt")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```\n"+checks+"```\n") {
		t.Error("README.md does not show checks.txt as it is, in a code block: copy it there")
	}
}
