package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/platformc/platformc/internal/benchgen/workload"
	"github.com/platformc/platformc/internal/pipeline"
)

// TestOneFileEqualsOneDirectoryEach checks that clusters declared all in
// one file, which are evaluated one at a time (load.ClusterDir.Units),
// build to the same bytes as the same clusters in a directory each, and
// the same errors where one of them is broken.
func TestOneFileEqualsOneDirectoryEach(t *testing.T) {
	sep, one := t.TempDir(), t.TempDir()
	for _, dir := range []string{sep, one} {
		if err := workload.Write(dir, 12); err != nil {
			t.Fatal(err)
		}
	}
	// Gather every cluster of one into clusters/dev/fleet/fleet.cue; the
	// clusters keep their environment through an explicit env field.
	var fleet strings.Builder
	fleet.WriteString("package clusters\n")
	for _, env := range []string{"dev", "staging", "prod"} {
		entries, err := os.ReadDir(filepath.Join(one, "clusters", env))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(one, "clusters", env, e.Name(), "cluster.cue"))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := strings.CutPrefix(string(data), "package clusters\n")
			body = strings.Replace(body, "{\n", "{\n\tenv: \""+env+"\"\n", 1)
			fleet.WriteString(body)
			if err := os.RemoveAll(filepath.Join(one, "clusters", env, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(t, one, "clusters/fleet/fleet.cue", fleet.String())
	build := func(dir string) string {
		res, err := pipeline.Run(context.Background(), pipeline.Options{Dir: dir})
		return outcome(res, err)
	}
	a, b := build(sep), build(one)
	if a != b || strings.HasPrefix(a, "error") {
		t.Fatalf("one file differs from a directory each:\n%.2000s\n---\n%.2000s", a, b)
	}

	// A cluster that reads another is evaluated with it: the directory
	// is not split.
	write(t, one, "clusters/fleet/fleet.cue", strings.Replace(fleet.String(), `vsphereNamespace: "ns-00001"`, `vsphereNamespace: clusters."cluster-00000".vsphereNamespace`, 1))
	if got := build(one); strings.HasPrefix(got, "error") {
		t.Fatalf("a cluster reading another: %s", got)
	}
}
