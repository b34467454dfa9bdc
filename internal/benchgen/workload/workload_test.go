package workload

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/pipeline"
)

// baselineDir is ../shared/baseline beside the repository.
func baselineDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "baseline"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// needBaseline skips (or, in CI, fails) when the templater cannot run here.
func needBaseline(t *testing.T) string {
	t.Helper()
	dir := baselineDir(t)
	missing := ""
	if _, err := os.Stat(filepath.Join(dir, "templater.py")); err != nil {
		missing = "no " + filepath.Join(dir, "templater.py")
	} else if out, err := exec.Command("/usr/bin/python3", "-c", "import yaml, jinja2, schema").CombinedOutput(); err != nil {
		missing = "the templater needs python3-yaml python3-jinja2 python3-schema (apt-get install -y python3-yaml python3-jinja2 python3-schema): " + strings.TrimSpace(string(out))
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(missing)
		}
		t.Skip(missing)
	}
	return dir
}

// TestSameValuesAsTemplater checks that the generated platform makes
// platformc write the same values files, as YAML data, as the templater
// writes for gen.py's workload, and for its shared-settings workload
// (--fleet): both tools do identical work.
func TestSameValuesAsTemplater(t *testing.T) {
	t.Run("baseline", func(t *testing.T) { sameValuesAsTemplater(t, false) })
	t.Run("fleet", func(t *testing.T) { sameValuesAsTemplater(t, true) })
}

func sameValuesAsTemplater(t *testing.T, fleet bool) {
	baseline := needBaseline(t)
	const n = 9 // clusters 0..8 cover every combination of optional bundles the generator makes
	tmp := t.TempDir()
	run := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("/usr/bin/python3", args...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	gen := []string{filepath.Join(baseline, "gen.py"), "9", filepath.Join(tmp, "tpl")}
	write := Write
	if fleet {
		gen, write = append(gen, "--fleet"), WriteFleet
	}
	run(gen...)
	run(filepath.Join(baseline, "templater.py"), filepath.Join(tmp, "tpl", "config.yml"), filepath.Join(tmp, "tpl", "templates"), filepath.Join(tmp, "tpl", "out"))
	want := map[string]any{}
	outDir := filepath.Join(tmp, "tpl", "out")
	err := filepath.WalkDir(outDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return err
		}
		rel, _ := filepath.Rel(outDir, p)
		want[filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	mod := filepath.Join(tmp, "pc")
	if err := write(mod, n); err != nil {
		t.Fatal(err)
	}
	res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: mod})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, f := range res.Files {
		if !strings.HasPrefix(f.Path, "cluster/") {
			continue
		}
		var v any
		if err := yaml.Unmarshal(f.Data, &v); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		got[f.Path] = v
	}
	if len(got) != len(want) {
		t.Errorf("platformc wrote %d values files, the templater %d", len(got), len(want))
	}
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: written by the templater, not by platformc", p)
		case !reflect.DeepEqual(g, w):
			t.Errorf("%s: differs\nplatformc: %v\ntemplater: %v", p, g, w)
		}
	}
}
