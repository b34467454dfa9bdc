package cli

import (
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/preview"
)

func TestShellQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"prod-edge-1", "prod-edge-1"},
		{"env=prod", "env=prod"},
		{"corp.local/team=edge", "corp.local/team=edge"},
		{"user@tkc:prod", "user@tkc:prod"},
		{"", "''"},
		{"two words", "'two words'"},
		{"it's", `'it'\''s'`},
		{"$HOME", "'$HOME'"},
		{"a;rm -rf /", "'a;rm -rf /'"},
		{"*", "'*'"},
		{"`x`", "'`x`'"},
	}
	for _, tt := range tests {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzShellQuote checks that a quoted word reads back, by POSIX rules for
// single quotes and unquoted words, as the string it was made from.
func FuzzShellQuote(f *testing.F) {
	for _, s := range []string{"", "a", "it's", "''", "a b", "$(x)", "tkc-{{.Name}}", "\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := shellQuote(s)
		got, ok := unquote(q)
		if !ok || got != s {
			t.Fatalf("shellQuote(%q) = %s, which reads back as %q (ok=%v)", s, q, got, ok)
		}
	})
}

// unquote reads one shell word made of unquoted safe characters, '...'
// runs and \' escapes; ok is false for anything else.
func unquote(w string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(w); {
		switch {
		case w[i] == '\'':
			end := strings.IndexByte(w[i+1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(w[i+1 : i+1+end])
			i += end + 2
		case w[i] == '\\' && i+1 < len(w):
			b.WriteByte(w[i+1])
			i += 2
		case shellSafe.MatchString(w[i : i+1]):
			b.WriteByte(w[i])
			i++
		default:
			return "", false
		}
	}
	return b.String(), true
}

func TestJoinCommand(t *testing.T) {
	cl := preview.Cluster{Name: "edge-1", Labels: map[string]string{
		"argocd.argoproj.io/secret-type": "cluster",
		"tier":                           "critical",
		"env":                            "prod",
		"core-basic":                     "enabled",
	}}
	want := "argocd cluster add 'ctx edge' --name edge-1 --label core-basic=enabled --label env=prod --label tier=critical --upsert\n"
	if got := joinCommand("ctx edge", cl); got != want {
		t.Errorf("got  %swant %s", got, want)
	}
}
