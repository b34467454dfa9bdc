package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	cuecmd "cuelang.org/go/cmd/cue/cmd"
	"github.com/rogpeppe/go-internal/testscript"
	"sigs.k8s.io/yaml"

	"github.com/platformc/platformc/internal/cli"
)

// update rewrites the scripts' expected output: PLATFORMC_UPDATE=1 go test
// ./... (an environment variable rather than a flag, which every other
// package of go test ./... would refuse, as cue's own script tests do with
// CUE_UPDATE).
var update = os.Getenv("PLATFORMC_UPDATE") == "1"

// TestMain lets the test binary run as the real platformc inside scripts,
// and as the real cue, whose promises to a platform's authors (cue fmt, cue
// vet, cue export accept the module) the scripts check too.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"platformc": func() { os.Exit(cli.Main()) },
		"cue":       func() { os.Exit(cuecmd.Main()) },
	})
}

// repoRoot is the repository, which is also the reference platform.
const repoRoot = "../.."

// TestScripts runs testdata/script/*.txtar against the real binary. Unless
// a script brings its own cue.mod (or a .no-platform file), its work
// directory starts as a copy of the reference platform, with the script's
// files laid over it.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(repoRoot, "testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       update,
		Setup: func(env *testscript.Env) error {
			// The build cache stays inside the script's work directory.
			env.Setenv("PLATFORMC_CACHE", filepath.Join(env.WorkDir, ".cache"))
			for _, own := range []string{"cue.mod", ".no-platform"} {
				if _, err := os.Stat(filepath.Join(env.WorkDir, own)); err == nil {
					return nil
				}
			}
			return copyPlatform(repoRoot, env.WorkDir)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":    cmdExits,
			"cmpdir":   cmdCmpdir,
			"cmpyaml":  cmdCmpyaml,
			"envfile":  cmdEnvfile,
			"nosecret": cmdNosecret,
			"outenv":   cmdOutenv,
			"edit":     cmdEdit,
		},
	})
}

// cmdExits runs a command and checks its exit code:
//
//	exits 2 platformc build --bogus
//
// Its stdout and stderr are kept for the stdout and stderr commands.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var xerr *exec.ExitError
	switch {
	case errors.As(err, &xerr):
		got = xerr.ExitCode()
	case err != nil:
		ts.Fatalf("exits: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdEdit edits a file by hand, as a person might, so that only its
// change time (which no one can set) says so: it replaces OLD by NEW, of
// the same length, and puts the modification time back.
//
//	edit out/cluster/dev-alpha/core/x/values.yaml 'replicas: 1' 'replicas: 2'
func cmdEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 || len(args[1]) != len(args[2]) {
		ts.Fatalf("usage: edit FILE OLD NEW, OLD and NEW of the same length")
	}
	name := ts.MkAbs(args[0])
	fi, err := os.Stat(name)
	ts.Check(err)
	data := ts.ReadFile(args[0])
	if !strings.Contains(data, args[1]) {
		ts.Fatalf("edit: %s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(name, []byte(strings.Replace(data, args[1], args[2], 1)), fi.Mode()))
	ts.Check(os.Chtimes(name, fi.ModTime(), fi.ModTime()))
}

// cmdCmpdir compares two directory trees file by file, their .platformc/
// aside.
func cmdCmpdir(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpdir DIR1 DIR2")
	}
	a, b := readTree(ts, ts.MkAbs(args[0])), readTree(ts, ts.MkAbs(args[1]))
	same := len(a) == len(b)
	for name, data := range a {
		if other, ok := b[name]; !ok || !bytes.Equal(data, other) {
			same = false
			if !neg {
				ts.Logf("differs: %s", name)
			}
		}
	}
	if same == neg {
		ts.Fatalf("%s and %s: same=%v", args[0], args[1], same)
	}
}

// cmdCmpyaml compares two YAML files as data: same keys, values and list
// order, whatever the key order, quoting or comments.
func cmdCmpyaml(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmpyaml FILE1 FILE2")
	}
	var a, b any
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[0])), &a))
	ts.Check(yaml.Unmarshal([]byte(ts.ReadFile(args[1])), &b))
	if reflect.DeepEqual(a, b) == neg {
		ts.Fatalf("%s and %s: YAML data equal=%v\n%s", args[0], args[1], !neg, ts.ReadFile(args[0]))
	}
}

func readTree(ts *testscript.TestScript, dir string) map[string][]byte {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == ".platformc" && p != dir {
			// platformc's bookkeeping: its index records inodes
			// and times, which two builds of the same tree do not
			// share.
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	ts.Check(err)
	return files
}

// copyPlatform copies the reference platform's CUE into dst, leaving the
// files dst already has.
func copyPlatform(src, dst string) error {
	for _, dir := range []string{"cue.mod", "schema", "platform", "bundles", "clusters"} {
		err := filepath.WalkDir(filepath.Join(src, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			target := filepath.Join(dst, rel)
			if _, err := os.Stat(target); err == nil {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		})
		if err != nil {
			return err
		}
	}
	return nil
}
