package scaffold

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/mod/modfile"

	"github.com/platformc/platformc/internal/render"
	"github.com/platformc/platformc/schema"
)

func byPath(t *testing.T, module string) map[string][]byte {
	t.Helper()
	files, err := Files(module)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		if _, dup := m[f.Path]; dup {
			t.Fatalf("%s twice", f.Path)
		}
		m[f.Path] = f.Data
	}
	return m
}

// TestWiringIsTheReference keeps the template's wiring of bundles and
// clusters in step with the reference platform's.
func TestWiringIsTheReference(t *testing.T) {
	files := byPath(t, "corp.local/platform")
	for _, p := range []string{"bundles/bundles.cue", "clusters/clusters.cue", "clusters/dev/env.cue", "clusters/prod/env.cue"} {
		ref, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(files[p], ref) {
			t.Errorf("%s differs from the reference platform's:\n%s", p, files[p])
		}
	}
}

// TestImports: imports of the template's packages become the module's;
// nothing else changes, comments included.
func TestImports(t *testing.T) {
	same := byPath(t, templateModule)
	moved := byPath(t, "corp.example/platform@v1")
	for p, data := range moved {
		if !strings.HasSuffix(p, ".cue") || strings.HasPrefix(p, "schema/") || p == "cue.mod/module.cue" {
			continue
		}
		tmpl, err := fs.ReadFile(template, "_template/"+p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(same[p], tmpl) {
			t.Errorf("%s: rewriting to the template's own module changed it:\n%s", p, same[p])
		}
		want := bytes.ReplaceAll(tmpl, []byte(`"`+templateModule+"/"), []byte(`"corp.example/platform/`))
		if !bytes.Equal(data, want) {
			t.Errorf("%s:\n%s\nwant:\n%s", p, data, want)
		}
	}
	mf, err := modfile.Parse(moved["cue.mod/module.cue"], "module.cue")
	if err != nil {
		t.Fatal(err)
	}
	if mf.Module != "corp.example/platform@v1" || mf.Language == nil || mf.Language.Version == "" {
		t.Errorf("module.cue: module %q, language %+v", mf.Module, mf.Language)
	}
}

func TestBadModule(t *testing.T) {
	for _, m := range []string{"", "platform", "Corp.example/p", "corp.example/p@latest", "/corp.example"} {
		if _, err := Files(m); err == nil {
			t.Errorf("Files(%q) succeeded; want an error", m)
		}
	}
}

// TestSchema: the schema platformc carries, each file behind the header
// that makes it platformc's to upgrade.
func TestSchema(t *testing.T) {
	files := Schema()
	if len(files) == 0 {
		t.Fatal("no schema files")
	}
	for _, f := range files {
		orig, err := fs.ReadFile(schema.FS, strings.TrimPrefix(f.Path, "schema/"))
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if !bytes.HasPrefix(f.Data, []byte(render.CUEHeader)) || !bytes.HasSuffix(f.Data, orig) {
			t.Errorf("%s is not the header and the embedded file:\n%s", f.Path, f.Data)
		}
	}
}

func TestIsWiring(t *testing.T) {
	ref, err := os.ReadFile(filepath.Join("..", "..", "clusters", "clusters.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if !IsWiring(ref) {
		t.Fatal("the reference platform's clusters/clusters.cue is not the wiring")
	}
	recommented := bytes.ReplaceAll(ref, []byte("// "), []byte("// said otherwise: "))
	if !IsWiring(recommented) {
		t.Error("a comment changed: no longer the wiring")
	}
	for name, src := range map[string]string{
		"another field":   strings.Replace(string(ref), "\tname:      Name\n", "\tname:      Name\n\tvalues: x: bundles.bundles.foo.apps.x.values\n", 1),
		"no bundles":      "package clusters\n",
		"not CUE":         "package clusters\nclusters: {",
		"another package": strings.Replace(string(ref), "/bundles\"", "/other\"", 1),
	} {
		if src == string(ref) {
			t.Fatalf("%s: the test did not change the file", name)
		}
		if IsWiring([]byte(src)) {
			t.Errorf("%s: taken for the wiring", name)
		}
	}
}
