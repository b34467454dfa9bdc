package eval

import (
	"path/filepath"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
)

// TestFieldPos: the field a user set for an error's path is the deepest
// one any of the cluster's files sets, a pattern matching any name, the
// cluster's own file winning over its environment's at equal depth; the
// shared clusters/clusters.cue is not the user's.
func TestFieldPos(t *testing.T) {
	root := filepath.FromSlash("/m")
	parse := func(name, src string) *ast.File {
		f, err := parser.ParseFile(filepath.FromSlash(name), src)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	inst := &build.Instance{Root: root, Files: []*ast.File{
		parse("/m/clusters/clusters.cue", "package clusters\nclusters: [string]: tkr: string\n"),
		parse("/m/clusters/dev/env.cue", "package clusters\nclusters: [_]: {\n\tenv: \"dev\"\n\tcontrolPlane: vmClass: \"small\"\n}\n"),
		parse("/m/clusters/dev/a/cluster.cue", "package clusters\nclusters: \"a\": {\n\tenv: \"dev\"\n\tvalues: grafana: x: 1\n}\n"),
	}}
	for _, tc := range []struct {
		path  []string
		file  string
		line  int
		depth int
	}{
		{[]string{"clusters", `"a"`, "env"}, "/m/clusters/dev/a/cluster.cue", 3, 3},
		{[]string{"clusters", "a", "controlPlane", "vmClass"}, "/m/clusters/dev/env.cue", 4, 4},
		{[]string{"clusters", "a", "values", "grafana", "x", "y"}, "/m/clusters/dev/a/cluster.cue", 4, 5},
		{[]string{"clusters", "a", "tkr"}, "/m/clusters/dev/a/cluster.cue", 2, 2},
	} {
		pos, depth := fieldPos(inst, tc.path)
		if pos.Filename() != filepath.FromSlash(tc.file) || pos.Line() != tc.line || depth != tc.depth {
			t.Errorf("fieldPos(%v) = %s:%d depth %d, want %s:%d depth %d", tc.path, pos.Filename(), pos.Line(), depth, tc.file, tc.line, tc.depth)
		}
	}
	if isUserFile(inst, filepath.FromSlash("/m/clusters/clusters.cue")) || !isUserFile(inst, filepath.FromSlash("/m/clusters/dev/env.cue")) {
		t.Error("isUserFile: the shared clusters.cue is not the user's, an environment's file is")
	}
}
