package main

import (
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"cuelang.org/go/cue/literal"
	"github.com/rogpeppe/go-internal/testscript"
	"go.yaml.in/yaml/v3"
)

// The secret scripts (secrets_*.txtar) check that a secret never prints:
// envfile sets a variable to a file's bytes (tabs, quotes and newlines
// included), and nosecret looks for every encoding of it in what the last
// command printed and in files and directory trees.

// cmdEnvfile sets the variable NAME to the content of FILE:
//
//	envfile GP secret.txt
func cmdEnvfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: envfile NAME FILE")
	}
	ts.Setenv(args[0], ts.ReadFile(args[1]))
}

// cmdNosecret fails if the value of a variable, in any encoding a printer
// might give it, is in stdout, stderr, or a file below a path:
//
//	nosecret GP stdout stderr out/argocd $PLATFORMC_CACHE
//
// An encoding is found if a run of 8 of its bytes is, or, if it is
// shorter, the whole of it (when it holds a letter or digit). The
// encodings are computed here, independently of internal/redact: the
// value, its lines, its Go, CUE, JSON and YAML quoted forms, and its
// base64 forms at every offset of a longer encoded string.
func cmdNosecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: nosecret VAR stdout|stderr|PATH...")
	}
	secret := ts.Getenv(args[0])
	if secret == "" {
		ts.Fatalf("nosecret: %s is not set", args[0])
	}
	frags := fragments(secret)
	check := func(where, text string) {
		for _, f := range frags {
			if i := strings.Index(text, f); i >= 0 {
				ts.Fatalf("%s holds %q of %s at byte %d:\n%s", where, f, args[0], i, text[max(0, i-200):min(len(text), i+200)])
			}
		}
	}
	for _, target := range args[1:] {
		switch target {
		case "stdout", "stderr":
			check(target, ts.ReadFile(target))
			continue
		}
		err := filepath.WalkDir(ts.MkAbs(target), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			data, err := os.ReadFile(p)
			check(p, string(data))
			return err
		})
		ts.Check(err)
	}
}

func fragments(secret string) []string {
	var encs []string
	add := func(s string) {
		encs = append(encs, s)
		for line := range strings.SplitSeq(s, "\n") {
			encs = append(encs, strings.TrimSpace(line))
		}
	}
	add(secret)
	q := strconv.Quote(secret)
	add(q[1 : len(q)-1])
	q = literal.String.Quote(secret)
	add(q[1 : len(q)-1])
	j, _ := json.Marshal(secret)
	add(string(j[1 : len(j)-1]))
	for _, style := range []yaml.Style{yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle} {
		y, _ := yaml.Marshal(&yaml.Node{Kind: yaml.ScalarNode, Value: secret, Style: style})
		add(strings.TrimSpace(string(y)))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for off := range 3 {
			s := enc.EncodeToString(append(make([]byte, off), secret...))
			from, to := (off*8+5)/6, (len(secret)+off)/3*4
			if to > from {
				add(s[from:to])
			}
		}
	}
	seen := map[string]bool{}
	var frags []string
	for _, e := range encs {
		if len(e) < 8 {
			// Shorter runs are found by chance in binary data.
			if len(e) >= 4 && strings.IndexFunc(e, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 && !seen[e] {
				seen[e] = true
				frags = append(frags, e)
			}
			continue
		}
		for i := 0; i+8 <= len(e); i++ {
			if f := e[i : i+8]; !seen[f] {
				seen[f] = true
				frags = append(frags, f)
			}
		}
	}
	return frags
}
