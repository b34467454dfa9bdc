package diag

import (
	"fmt"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
)

// TestSchemaBounds fails each bound of the repository's schema with a
// bad value and checks that the message says what the bound means: the
// table in message.go follows the schema.
func TestSchemaBounds(t *testing.T) {
	insts := load.Instances([]string{"."}, &load.Config{Dir: "../../schema"})
	if err := insts[0].Err; err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()
	schema := ctx.BuildInstance(insts[0])
	used := map[string]bool{}
	for _, tc := range []struct {
		path, value, want string
	}{
		{"#Name", `"a/b"`, `invalid value "a/b": not a DNS-1123 label`},
		{"#Name", `"Upper"`, `invalid value "Upper": not a DNS-1123 label`},
		{"#Name", `"` + strings.Repeat("a", 64) + `"`, `: 64 characters long, at most 63 allowed`},
		{"#LabelValue", `"team alpha!"`, `invalid value "team alpha!": not a Kubernetes label value`},
		{"#Version", `"latest"`, `invalid value "latest": not a semantic version`},
		{"#GitRef", `"-main"`, `invalid value "-main": not a git branch, tag or commit name (letters`},
		{"#GitRef", `"a..b"`, `invalid value "a..b": not a git branch, tag or commit name (".." is not allowed)`},
		{"#Host", `"Registry"`, `invalid value "Registry": not a host name`},
		{"#RepoURL", `"ftp://x"`, `invalid value "ftp://x": not a git repository URL`},
		{"#Cluster.server", `"http://insecure:6443"`, `invalid value "http://insecure:6443": not an https:// URL`},
	} {
		v := schema.LookupPath(cue.ParsePath(tc.path)).Unify(ctx.CompileString(tc.value))
		err := v.Validate()
		if err == nil {
			t.Errorf("%s & %s: no error", tc.path, tc.value)
			continue
		}
		e := cueerrors.Errors(err)[0]
		if _, args := e.Msg(); len(args) == 2 {
			used[fmt.Sprint(args[1])] = true
		}
		if got := message(e, ""); !strings.Contains(got, tc.want) {
			t.Errorf("%s & %s: %q, want it to contain %q", tc.path, tc.value, got, tc.want)
		}
	}
	for bound := range schemaBounds {
		if !used[bound] {
			t.Errorf("bound %s is not tested, or no longer in the schema", bound)
		}
	}
}

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
