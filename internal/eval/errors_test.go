package eval

import (
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	cueload "cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
)

func schemaInstance(t *testing.T) *build.Instance {
	t.Helper()
	insts := cueload.Instances([]string{"."}, &cueload.Config{Dir: "../../schema"})
	if err := insts[0].Err; err != nil {
		t.Fatal(err)
	}
	return insts[0]
}

// TestSchemaBounds fails each bound of the repository's schema with a bad
// value and checks that the message says what the bound means, as the
// schema's #Bounds states it; and that every bound #Bounds names is one a
// value can fail.
func TestSchemaBounds(t *testing.T) {
	inst := schemaInstance(t)
	s := newShaper("/nowhere", inst)
	ctx := cuecontext.New()
	schema := ctx.BuildInstance(inst)
	used := map[string]bool{}
	for _, tc := range []struct {
		path, value, want string
	}{
		{"#Name", `"a/b"`, `invalid value "a/b": not a DNS-1123 label`},
		{"#Name", `"Upper"`, `invalid value "Upper": not a DNS-1123 label`},
		{"#Name", `"` + strings.Repeat("a", 64) + `"`, `: 64 characters long, at most 63 allowed`},
		{"#LabelKey", `"a b"`, `invalid value "a b": not a Kubernetes label key`},
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
		e := s.reword(cueerrors.Errors(err)[0])
		if _, args := e.Msg(); len(args) == 2 {
			for re, meaning := range s.bounds {
				if args[1] == meaning {
					used[re] = true
				}
			}
		}
		if got := message(e); !strings.Contains(got, tc.want) {
			t.Errorf("%s & %s: %q, want it to contain %q", tc.path, tc.value, got, tc.want)
		}
	}
	if len(s.bounds) == 0 {
		t.Fatal("no #Bounds in the schema")
	}
	for re := range s.bounds {
		if !used[re] {
			t.Errorf("bound %s is not tested, or no longer in the schema", re)
		}
	}
}

// TestSchemaShape keeps the names the shaper reads the schema's policy
// checks by in step with the schema: #Cluster has a checksField struct,
// with a field for each of checkedFields.
func TestSchemaShape(t *testing.T) {
	v := cuecontext.New().BuildInstance(schemaInstance(t))
	checks := v.LookupPath(cue.MakePath(cue.Def("#Cluster"), cue.Hid(checksField, "corp.local/platform/schema")))
	if !checks.Exists() {
		// Hidden fields belong to their package; find it by listing.
		iter, _ := v.LookupPath(cue.ParsePath("#Cluster")).Fields(cue.Hidden(true))
		for iter.Next() {
			if iter.Selector().String() == checksField {
				checks = iter.Value()
			}
		}
	}
	if !checks.Exists() {
		t.Fatalf("#Cluster has no %s", checksField)
	}
	for _, f := range checkedFields {
		iter, _ := checks.Fields(cue.All())
		found := false
		for iter.Next() {
			found = found || iter.Selector().String() == f
		}
		if !found {
			t.Errorf("%s has no field %s", checksField, f)
		}
	}
}

// TestInSchemaIsTheModulesSchemaDir: a position is the schema's when it is
// in the module's own schema/ directory, whatever the directories above
// the module are called.
func TestInSchemaIsTheModulesSchemaDir(t *testing.T) {
	root := filepath.FromSlash("/home/ci/schema/platform")
	s := &shaper{schemaDir: filepath.Join(root, "schema")}
	for file, want := range map[string]bool{
		"/home/ci/schema/platform/schema/cluster.cue":                   true,
		"/home/ci/schema/platform/clusters/dev/alpha/cluster.cue":       false,
		"/home/ci/schema/platform/bundles/core.cue":                     false,
		"/home/ci/schema/platform/schemata/x.cue":                       false,
		"/home/ci/schema/platform/cue.mod/pkg/x/schema/y.cue":           false,
		"/home/ci/schema/platform/clusters/dev/schema/cluster.cue":      false,
		"/home/ci/schema/platform/schema/../clusters/dev/x/cluster.cue": false,
	} {
		f := token.NewFile(filepath.Clean(filepath.FromSlash(file)), -1, 10)
		if got := s.inSchema(f.Pos(0, token.NoRelPos)); got != want {
			t.Errorf("inSchema(%s) = %v, want %v", file, got, want)
		}
	}
}

func TestUserPath(t *testing.T) {
	for in, want := range map[string]string{
		"clusters.a.name":                    "clusters.a",
		"clusters.a._checks.env.0":           "clusters.a.env",
		"clusters.a._checks.values.tool":     "clusters.a.values.tool",
		"clusters.a._checks.unknown.0":       "clusters.a.bundles",
		"clusters.a._checks.requires.1":      "clusters.a.bundles",
		"clusters.a.values.grafana.replicas": "clusters.a.values.grafana.replicas",
	} {
		if got := strings.Join(userPath(strings.Split(in, ".")), "."); got != want {
			t.Errorf("userPath(%s) = %s, want %s", in, got, want)
		}
	}
}
