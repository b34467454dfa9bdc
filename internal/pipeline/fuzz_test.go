package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cuelit "cuelang.org/go/cue/literal"
	"go.yaml.in/yaml/v3"

	"github.com/platformc/platformc/internal/diag"
	"github.com/platformc/platformc/internal/eval"
	"github.com/platformc/platformc/internal/output"
	"github.com/platformc/platformc/internal/pipeline"
	"github.com/platformc/platformc/internal/platformtest"
	"github.com/platformc/platformc/internal/render"
)

// FuzzPipeline adds to a copy of the reference platform a cluster and an
// app with the fuzzer's names, a value with the fuzzer's string, and a CUE
// snippet of its choosing in the cluster's directory, and runs load,
// evaluate and render. Whatever the input: no panic (nor one recovered
// inside CUE); an error is a report with at least one entry; and what
// builds is files whose paths CheckPath accepts and stay inside the
// output directory, each starting with the header and holding valid YAML.
// For inputs whose value has an odd length, the cluster's control plane
// delivers with Sveltos: its values ConfigMaps must hold, read back, the
// bytes of its values files.
func FuzzPipeline(f *testing.F) {
	f.Add("fuzz-1", "tool", "a value", "")
	f.Add("../../etc", "..", "x", "")
	f.Add("a/b", "tool", "x", "")
	f.Add("fuzz-1", ".git", "x", "")
	f.Add("UPPER", "tool", "x", "")
	f.Add("fuzz-1", "tool", "key: value\n- not: yaml\n", "")
	f.Add("fuzz-1", "tool", "\x00\u2028'\"#&*!|>%@`", "")
	f.Add("fuzz-1", "tool", "x", `clusters: "fuzz-1": values: tool: extra: [1, {a: "b"}, null, true, 1.5]`)
	f.Add("fuzz-1", "tool", "x", `clusters: "fuzz-1": labels: team: "a/b"`)
	f.Add("fuzz-1", "tool", "x", `clusters: "fuzz-1": values: tool: n: int`)
	f.Add("fuzz-1", "tool", "x", `clusters: "fuzz-1": env: "prod"`)
	f.Add("dev-alpha", "tool", "x", "")
	f.Add("fuzz-1", "cert-manager", "x", "")
	f.Add("fuzz-1", "tool", "x", `cluster: x: 1`)
	f.Add("fuzz-1", "tool", "x", `clusters: "fuzz-1": vsphereNamespace: "../x"`)
	f.Add("fuzz-1", "tool", "x", "clusters: {")
	f.Add(strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 1000), "")
	// Odd lengths: on Sveltos, values a ConfigMap's literal block cannot hold.
	f.Add("fuzz-1", "tool", " trailing  \n\ttab\r\n{{ .ClusterName }}\n\n", "")
	f.Add("fuzz-1", "tool", "\ufeff# not a comment\n---\n...", "")
	mod := f.TempDir()
	platformtest.CopyPlatform(f, filepath.Join("..", ".."), mod)
	f.Fuzz(func(t *testing.T, cluster, app, value, snippet string) {
		if testing.Short() {
			t.Skip("a pipeline run per input: too slow for the race pass (-short)")
		}
		if len(snippet) > 200 || len(value) > 4096 {
			t.Skip("bounded: a long snippet can ask CUE for exponential work, which --timeout is for")
		}
		dir := t.TempDir()
		platformtest.CopyPlatform(t, mod, dir)
		write(t, dir, "bundles/fuzz.cue", fmt.Sprintf(`package bundles

bundles: fuzz: {
	description: "Fuzzed."
	version:     "1.0.0"
	apps: %s: {
		category:  "fuzz"
		chart:     "1.0.0"
		namespace: "fuzz"
		values: note: %s
	}
}
`, cuelit.Label.Quote(app), cuelit.String.Quote(value)))
		write(t, dir, "clusters/dev/fuzz/cluster.cue", fmt.Sprintf(`package clusters

clusters: %s: {
	vsphereNamespace: "fuzz"
	server:           "https://10.20.10.99:6443"
	tkr:              "v1.30.1---vmware.1-fips.1-tkg.5"
	bundles: ["core-basic", "security-basic", "fuzz"]
}
`, cuelit.Label.Quote(cluster)))
		write(t, dir, "clusters/dev/fuzz/snippet.cue", "package clusters\n\n"+snippet+"\n")
		sveltos := len(value)%2 == 1
		if sveltos {
			write(t, dir, "platform/sveltos.cue", "package platform\n\nplatform: controlPlanes: development: engine: \"sveltos\"\n")
		}

		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		// Only the fuzzed cluster is evaluated, for speed; its build still
		// renders every kind of file (ApplicationSets for its apps too).
		res, err := pipeline.Run(ctx, pipeline.Options{Dir: dir, Patterns: []string{"./clusters/dev/fuzz"}})
		var timeout *eval.TimeoutError
		if errors.As(err, &timeout) {
			t.Skip("evaluation timed out")
		}
		if err != nil && cluster == "fuzz-1" && app == "tool" && value == "a value" && snippet == "" {
			// The first seed is a valid platform: if it does not build,
			// every input only exercises the error path.
			var b strings.Builder
			diag.Print(&b, err, res.Root)
			t.Fatalf("the valid seed does not build:\n%s", b.String())
		}
		if err != nil {
			var b strings.Builder
			diag.Print(&b, err, res.Root)
			if b.Len() == 0 {
				t.Fatalf("an error with an empty report: %v", err)
			}
			if strings.Contains(b.String(), "internal error evaluating") {
				t.Fatalf("CUE panicked:\n%s", b.String())
			}
			return
		}
		out := filepath.Join(dir, "out")
		for _, f := range res.Files {
			if err := output.CheckPath(f.Path); err != nil {
				t.Fatalf("rendered %v", err)
			}
			full := filepath.Join(out, filepath.FromSlash(f.Path))
			if r, err := filepath.Rel(out, full); err != nil || !filepath.IsLocal(r) {
				t.Fatalf("rendered path %q leaves the output directory", f.Path)
			}
			if !bytes.HasPrefix(f.Data, []byte(render.Header)) {
				t.Fatalf("%s: no generated header", f.Path)
			}
			var doc any
			if err := yaml.Unmarshal(f.Data, &doc); err != nil {
				t.Fatalf("%s: not valid YAML: %v\n%s", f.Path, err, f.Data)
			}
		}
		if sveltos {
			sveltosValues(t, res.Files)
		}
	})
}

// sveltosValues checks that every values ConfigMap reads back as the bytes
// of the values file of its cluster and app.
func sveltosValues(t *testing.T, files []render.File) {
	data := map[string][]byte{}
	for _, f := range files {
		data[f.Path] = f.Data
	}
	n := 0
	for _, f := range files {
		app, ok := render.SveltosValuesApp(f.Path)
		if !ok {
			continue
		}
		n++
		var cm struct {
			Data map[string]string `yaml:"data"`
		}
		if err := yaml.Unmarshal(f.Data, &cm); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		cluster := strings.Split(f.Path, "/")[3]
		values := "cluster/" + cluster + "/" + app + "/values.yaml"
		if got, want := cm.Data[render.ValuesKey], data[values]; got != string(want) {
			t.Fatalf("%s holds\n%q\nnot the bytes of %s\n%q", f.Path, got, values, want)
		}
	}
	if n == 0 {
		t.Fatal("no values ConfigMap rendered for a Sveltos control plane")
	}
}

func write(t *testing.T, dir, name, data string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
