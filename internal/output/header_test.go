package output

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/platformc/platformc/internal/render"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMakePlanOwnsItsHeader: a plan changes only the files carrying the
// header of the kind it writes; the other kinds and hand-written files stay.
func TestMakePlanOwnsItsHeader(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"stale.yaml":  render.Header + "a: 1\n",
		"same.yaml":   render.Header + "b: 2\n",
		"docs/x.md":   render.MarkdownHeader + "# x\n",
		"notes.yaml":  "hand: written\n",
		"other/y.cue": render.CUEHeader + "package y\n",
	})
	plan, err := planOnly(t, dir, render.Header, []render.File{
		{Path: "same.yaml", Data: []byte(render.Header + "b: 2\n")},
		{Path: "new/c.yaml", Data: []byte(render.Header + "c: 3\n")},
	}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "add new/c.yaml\nremove stale.yaml\n"
	if got := plan.Listing(); got != want || plan.Unchanged != 1 {
		t.Errorf("plan:\n%sunchanged %d; want:\n%sunchanged 1", got, plan.Unchanged, want)
	}
}

func TestMakePlanRefuses(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"notes.md": "hand written\n"})
	tests := []struct {
		name string
		file render.File
	}{
		{"hand-written file in the way", render.File{Path: "notes.md", Data: []byte(render.MarkdownHeader)}},
		{"file without the header", render.File{Path: "x.md", Data: []byte("# x\n")}},
		{"path leaving the directory", render.File{Path: "../x.md", Data: []byte(render.MarkdownHeader)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := planOnly(t, dir, render.MarkdownHeader, []render.File{tt.file}, true); err == nil {
				t.Errorf("Plan accepted %s; want an error", tt.file.Path)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	files := []render.File{{Path: "a/b.cue", Data: []byte("b")}, {Path: ".hidden", Data: []byte("h")}}
	if err := Create(context.Background(), dir, files, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Path))
		if err != nil || string(data) != string(f.Data) {
			t.Errorf("%s: %q, %v; want %q", f.Path, data, err, f.Data)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{".hidden", metaDir, "a"}) {
		t.Errorf("dir holds %v; want only the files and .platformc/", names)
	}
	checkClean(t, dir)
}

// TestCreateReplacesNothing: one path taken, by a file or by a file where a
// directory goes, and nothing at all is written.
func TestCreateReplacesNothing(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"README.md": "mine\n", "clusters": "a file\n"})
	err := Create(context.Background(), dir, []render.File{
		{Path: "README.md", Data: []byte("theirs\n")},
		{Path: "clusters/dev/env.cue", Data: []byte("x")},
		{Path: "platform/platform.cue", Data: []byte("x")},
	}, Options{})
	var eerr *ExistsError
	if !errors.As(err, &eerr) || !slices.Equal(eerr.Paths, []string{"README.md", "clusters"}) {
		t.Fatalf("Create: %v; want README.md and clusters to exist", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "platform")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("platform/ was written: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "README.md")); string(data) != "mine\n" {
		t.Errorf("README.md is %q", data)
	}
}
