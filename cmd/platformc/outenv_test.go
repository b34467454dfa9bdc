package main

import (
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdOutenv sets a variable to what the last command printed on
// stdout, without its trailing newline, for cmpenv to compare output that
// holds it (a commit's name, which depends on every byte committed):
//
//	exec git rev-parse HEAD
//	outenv COMMIT
func cmdOutenv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: outenv NAME")
	}
	ts.Setenv(args[0], strings.TrimSuffix(ts.ReadFile("stdout"), "\n"))
}
