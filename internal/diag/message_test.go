package diag

import (
	"strings"
	"testing"
)

func TestShorten(t *testing.T) {
	long := strings.Repeat("x", 100000)
	got := shorten(`invalid value "` + long + `": not a label value`)
	if len(got) > 200 || !strings.Contains(got, "(100000 characters)") || !strings.HasSuffix(got, ": not a label value") {
		t.Errorf("shorten kept %d bytes: %.200s", len(got), got)
	}
	if got := shorten(`invalid value "short"`); got != `invalid value "short"` {
		t.Errorf("shorten changed a short message: %s", got)
	}
	huge := strings.Repeat("{a:1} | ", 10000)
	if got := shorten(huge); len([]rune(got)) > maxMessage+40 || !strings.HasSuffix(got, "more characters)") {
		t.Errorf("shorten did not cut a long message: %d runes", len([]rune(got)))
	}
}

func TestShortPath(t *testing.T) {
	deep := []string{"clusters", `"dev-alpha"`, "values", "reloader"}
	for range 2000 {
		deep = append(deep, "a")
	}
	got := shortPath(deep)
	if want := `clusters."dev-alpha".values.reloader.a.a.….a.a.a (2004 fields deep)`; got != want {
		t.Errorf("shortPath = %q, want %q", got, want)
	}
	if got := shortPath([]string{"clusters", "x", "server"}); got != "clusters.x.server" {
		t.Errorf("shortPath of a short path = %q", got)
	}
}
