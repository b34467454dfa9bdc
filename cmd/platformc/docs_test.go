package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestDocs runs every command sample of README.md and docs/*.md and
// compares what it prints with what the text shows, so that no sample
// output can drift from what platformc does.
//
// A sample is a fenced block whose info string starts with "console". Each
// line starting with "$ " is a command (a line ending in "\" goes on on the
// next); the lines up to the next command are what it prints, stdout and
// stderr together, in the order a terminal shows them. A command must exit
// 0, unless the next command is "echo $?", whose output is then the exit
// status expected. "cd DIR" and "export NAME=VALUE" last for the commands
// after them, as in a shell.
//
// The info string goes on with words the reader does not see:
//
//	```console session=tutorial empty
//	```cue file=clusters/qa/env.cue session=tutorial
//
// Blocks of one file and one session (the default one when no session= is
// given) run in the order of the file, in one directory, so that a tutorial
// builds on itself. A session starts in a copy of the reference platform,
// or, with "empty", in an empty directory. A block with file=PATH, of any
// language, writes its content to PATH, relative to the session's current
// directory: what the text asks the reader to create or edit. A block inside
// an HTML comment, which GitHub does not show, runs too: it sets up what
// the text describes in words (a commit to compare with, an edit made off
// screen).
//
// The comparison is of whole lines, after a normalisation kept small: each
// line's trailing blanks are dropped, a word of 12 or 40 hexadecimal
// digits (a commit) becomes <hash>, a Go version (go1.26.8) go<version>,
// and a duration after " in " (built ... in 412ms) <duration>. A line
// "..." in the expected output stands for any number of lines (none
// included), so that a sample may show the first rows of a long table;
// the rest is compared. A block showing Markdown (```markdown) is text, not
// a sample; any other block with a line starting with "$ " is refused, so
// that every sample command runs.
//
// The commands run with sh, with platformc and cue (the real commands,
// registered by TestMain) first in PATH, the build cache and CUE's cache
// outside the session's directory, and git configured for reproducible
// commits. PLATFORMC_UPDATE=1 rewrites the expected output of every
// sample that differs (a "..." is lost where it does: put it back by hand);
// review the diff like code.
func TestDocs(t *testing.T) {
	// The samples pipe through the tools a platform team's shell has.
	for _, tool := range []string{"sh", "git", "jq", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed: the samples of README.md and docs/ need it", tool)
			}
			t.Skipf("%s is not installed: the samples of README.md and docs/ need it", tool)
		}
	}
	files := docFiles(t)
	upd := &docUpdates{edits: map[string][]docEdit{}}
	if update {
		t.Cleanup(func() { upd.apply(t) })
	}
	for _, file := range files {
		blocks, err := parseMarkdown(file)
		if err != nil {
			t.Fatal(err)
		}
		sessions, err := docSessions(file, blocks)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sessions {
			s.updates = upd
			s.run(t)
		}
	}
}

// TestREADMEFirstBlock keeps the contract .ci/run relies on: the first
// ``` block of README.md holds, on its first line, the command that builds
// the reference platform into out, and on its second the tests.
func TestREADMEFirstBlock(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "```") {
			if in {
				break
			}
			in = true
			continue
		}
		if in {
			lines = append(lines, line)
		}
	}
	if len(lines) < 2 || !strings.Contains(lines[0], " build ") || !strings.Contains(lines[0], "-o out") ||
		!strings.HasPrefix(lines[1], "go test ") {
		t.Errorf("README.md's first ``` block is %q: .ci/run runs its line 1 as the build (with -o out) and line 2 as the tests", lines)
	}
}

// docFiles are the Markdown files whose samples TestDocs runs.
func docFiles(t *testing.T) []string {
	files, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{filepath.Join(repoRoot, "README.md")}, files...)
}

// mdBlock is a fenced code block of a Markdown file.
type mdBlock struct {
	info   []string // the info string's words
	indent string   // the fence's indentation, taken off every line
	line   int      // the line of the first line of the body, from 1
	body   []string
}

// lang is the block's language, the first word of its info string.
func (b mdBlock) lang() string {
	if len(b.info) == 0 {
		return ""
	}
	return b.info[0]
}

// attr is the value of the word key=value of the info string, and whether
// the word key is there alone.
func (b mdBlock) attr(key string) (string, bool) {
	for _, w := range b.info[min(1, len(b.info)):] {
		if k, v, ok := strings.Cut(w, "="); ok && k == key {
			return v, true
		} else if w == key {
			return "", true
		}
	}
	return "", false
}

var fenceRe = regexp.MustCompile("^( *)(```+|~~~+)(.*)$")

// parseMarkdown returns the fenced blocks of a Markdown file, those inside
// HTML comments included, as CommonMark delimits them: a fence closes with
// the same character, at least as many times, and nothing after it.
func parseMarkdown(path string) ([]mdBlock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var blocks []mdBlock
	var cur *mdBlock
	var fence string
	for i, line := range strings.Split(string(data), "\n") {
		m := fenceRe.FindStringSubmatch(line)
		if cur == nil {
			if m != nil {
				cur = &mdBlock{info: strings.Fields(m[3]), indent: m[1], line: i + 2}
				fence = m[2]
			}
			continue
		}
		if m != nil && m[2][0] == fence[0] && len(m[2]) >= len(fence) && strings.TrimSpace(m[3]) == "" {
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		cur.body = append(cur.body, strings.TrimPrefix(line, cur.indent))
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: code block not closed", path, cur.line-1)
	}
	return blocks, nil
}

// docStep is one thing a session does: run a command, or write a file.
type docStep struct {
	pos     string // file:line, for messages
	cmd     string // the command, or "" for a file
	path    string // the file to write
	content string
	want    []string // the output expected
	status  int      // the exit status expected
	file    string   // the Markdown file and the lines of want in it, for updates
	line    int      // first line of want, from 1
	indent  string
}

// docSession is a sequence of steps run in one directory.
type docSession struct {
	file, name string
	empty      bool
	steps      []docStep
	updates    *docUpdates
}

// docSessions turns the blocks of one file into its sessions, in the order
// they first appear.
func docSessions(file string, blocks []mdBlock) ([]*docSession, error) {
	var sessions []*docSession
	byName := map[string]*docSession{}
	rel, _ := filepath.Rel(repoRoot, file)
	for _, b := range blocks {
		target, isFile := b.attr("file")
		if b.lang() != "console" && !isFile {
			if b.lang() == "markdown" {
				continue
			}
			for i, line := range b.body {
				if strings.HasPrefix(line, "$ ") {
					return nil, fmt.Errorf("%s:%d: a sample command in a ```%s block: make it a ```console block, so that TestDocs runs it", rel, b.line+i, b.lang())
				}
			}
			continue
		}
		name, _ := b.attr("session")
		s := byName[name]
		if s == nil {
			s = &docSession{file: rel, name: name}
			byName[name] = s
			sessions = append(sessions, s)
		}
		if _, ok := b.attr("empty"); ok {
			if len(s.steps) > 0 {
				return nil, fmt.Errorf("%s:%d: \"empty\" on a block that does not start its session", rel, b.line-1)
			}
			s.empty = true
		}
		pos := fmt.Sprintf("%s:%d", rel, b.line)
		if isFile {
			s.steps = append(s.steps, docStep{pos: pos, path: target, content: strings.Join(b.body, "\n") + "\n"})
			continue
		}
		steps, err := consoleSteps(rel, b)
		if err != nil {
			return nil, err
		}
		s.steps = append(s.steps, steps...)
	}
	return sessions, nil
}

// consoleSteps reads the commands of a console block and their outputs.
func consoleSteps(file string, b mdBlock) ([]docStep, error) {
	var steps []docStep
	for i := 0; i < len(b.body); i++ {
		line := b.body[i]
		if !strings.HasPrefix(line, "$ ") {
			if len(steps) == 0 {
				return nil, fmt.Errorf("%s:%d: a console block starts with a command, \"$ ...\"", file, b.line+i)
			}
			last := &steps[len(steps)-1]
			last.want = append(last.want, line)
			continue
		}
		st := docStep{pos: fmt.Sprintf("%s:%d", file, b.line+i), file: file, indent: b.indent}
		cmd := strings.TrimPrefix(line, "$ ")
		for strings.HasSuffix(cmd, "\\") && i+1 < len(b.body) {
			i++
			cmd += "\n" + b.body[i]
		}
		st.cmd, st.line = cmd, b.line+i+1
		steps = append(steps, st)
	}
	// An "echo $?" gives the status of the command before it.
	for i := range steps {
		if steps[i].cmd != "echo $?" {
			continue
		}
		if i == 0 {
			return nil, fmt.Errorf("%s: echo $? needs a command before it, in the same block", steps[i].pos)
		}
		n, err := strconv.Atoi(strings.Join(steps[i].want, ""))
		if err != nil || len(steps[i].want) != 1 {
			return nil, fmt.Errorf("%s: echo $? shows %q, not an exit status", steps[i].pos, steps[i].want)
		}
		steps[i-1].status = n
	}
	return steps, nil
}

// run runs the session as a script of its own.
func (s *docSession) run(t *testing.T) {
	dir := t.TempDir()
	name := strings.NewReplacer("/", "_", ".md", "").Replace(s.file)
	if s.name != "" {
		name += "_" + s.name
	}
	var script strings.Builder
	fmt.Fprintf(&script, "# %s, session %q: the samples TestDocs runs (see docs_test.go)\n", s.file, s.name)
	for i, st := range s.steps {
		fmt.Fprintf(&script, "doc %d # %s\n", i, st.pos)
	}
	path := filepath.Join(dir, name+".txtar")
	if err := os.WriteFile(path, []byte(script.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Files: []string{path},
		Setup: func(env *testscript.Env) error {
			// The caches and git's settings stay out of the session's
			// directory, which commands such as git add -A see whole.
			outside := env.WorkDir + ".outside"
			env.Setenv("PLATFORMC_CACHE", filepath.Join(outside, "platformc-cache"))
			env.Setenv("CUE_CACHE_DIR", filepath.Join(outside, "cue-cache"))
			for _, kv := range docGitEnv {
				k, v, _ := strings.Cut(kv, "=")
				env.Setenv(k, v)
			}
			if s.empty {
				return nil
			}
			return copyPlatform(repoRoot, env.WorkDir)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"doc": s.cmdDoc,
		},
	})
}

// docGitEnv makes commits the same on every run: no user settings, a fixed
// author and date, a default branch that git does not comment on.
var docGitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
	"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=init.defaultBranch", "GIT_CONFIG_VALUE_0=main",
	"GIT_AUTHOR_NAME=platformc", "GIT_AUTHOR_EMAIL=platformc@corp.local",
	"GIT_COMMITTER_NAME=platformc", "GIT_COMMITTER_EMAIL=platformc@corp.local",
	"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z",
}

// cmdDoc does step N of the session: doc N.
func (s *docSession) cmdDoc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: doc N")
	}
	i, err := strconv.Atoi(args[0])
	if err != nil || i < 0 || i >= len(s.steps) {
		ts.Fatalf("doc: no step %q", args[0])
	}
	st := s.steps[i]
	switch {
	case st.cmd == "":
		target := ts.MkAbs(st.path)
		ts.Check(os.MkdirAll(filepath.Dir(target), 0o755))
		ts.Check(os.WriteFile(target, []byte(st.content), 0o644))
		return
	case st.cmd == "echo $?":
		return // checked with the command before it
	case strings.HasPrefix(st.cmd, "cd ") && !strings.ContainsAny(st.cmd, ";&|"):
		ts.Check(ts.Chdir(strings.TrimSpace(strings.TrimPrefix(st.cmd, "cd "))))
		return
	case exportRe.MatchString(st.cmd):
		m := exportRe.FindStringSubmatch(st.cmd)
		ts.Setenv(m[1], m[2])
		return
	}
	ts.Logf("%s: $ %s", st.pos, st.cmd)
	err = ts.Exec("sh", "-c", "exec 2>&1\n"+st.cmd)
	status := 0
	var xerr *exec.ExitError
	switch {
	case errors.As(err, &xerr):
		status = xerr.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", st.pos, err)
	}
	got := strings.Split(strings.TrimSuffix(ts.ReadFile("stdout"), "\n"), "\n")
	if len(got) == 1 && got[0] == "" {
		got = nil
	}
	if !outputMatches(st.want, got) {
		if s.updates != nil && update {
			s.updates.add(st, got)
			return
		}
		ts.Fatalf("%s: $ %s\nthe text shows:\n%s\nit prints:\n%s", st.pos, st.cmd, strings.Join(st.want, "\n"), strings.Join(got, "\n"))
	}
	if status != st.status {
		ts.Fatalf("%s: $ %s: exit status %d; the text says %d (echo $? after it)", st.pos, st.cmd, status, st.status)
	}
}

var (
	exportRe    = regexp.MustCompile(`^export ([A-Za-z_][A-Za-z0-9_]*)=([^ '"$;&|]*)$`)
	hashRe      = regexp.MustCompile(`\b([0-9a-f]{40}|[0-9a-f]{12})\b`)
	goVersionRe = regexp.MustCompile(`\bgo1\.[0-9]+(\.[0-9]+)?\b`)
	durationRe  = regexp.MustCompile(` in ([0-9]+h)?([0-9]+m)?[0-9]+(\.[0-9]+)?(ns|µs|ms|s)\b`)
)

// normalise is the whole of what TestDocs forgives in a line.
func normalise(line string) string {
	line = strings.TrimRight(line, " \t")
	line = hashRe.ReplaceAllString(line, "<hash>")
	line = goVersionRe.ReplaceAllString(line, "go<version>")
	return durationRe.ReplaceAllString(line, " in <duration>")
}

// outputMatches reports whether got is what want shows, a line "..." of
// want standing for any number of lines.
func outputMatches(want, got []string) bool {
	w := make([]string, len(want))
	for i, l := range want {
		w[i] = normalise(l)
	}
	g := make([]string, len(got))
	for i, l := range got {
		g[i] = normalise(l)
	}
	return match(w, g)
}

func match(want, got []string) bool {
	for len(want) > 0 {
		if want[0] == "..." {
			rest := want[1:]
			for k := 0; k <= len(got); k++ {
				if match(rest, got[k:]) {
					return true
				}
			}
			return false
		}
		if len(got) == 0 || want[0] != got[0] {
			return false
		}
		want, got = want[1:], got[1:]
	}
	return len(got) == 0
}

// docUpdates collects, under PLATFORMC_UPDATE=1, the outputs to write back
// into the Markdown once every session has run.
type docUpdates struct {
	mu    sync.Mutex
	edits map[string][]docEdit
}

type docEdit struct {
	line, n int // the lines replaced: n lines from line (from 1)
	lines   []string
}

func (u *docUpdates) add(st docStep, got []string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	lines := make([]string, len(got))
	for i, l := range got {
		lines[i] = strings.TrimRight(st.indent+l, " \t")
	}
	u.edits[st.file] = append(u.edits[st.file], docEdit{line: st.line, n: len(st.want), lines: lines})
}

func (u *docUpdates) apply(t *testing.T) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for file, edits := range u.edits {
		path := filepath.Join(repoRoot, file)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		slices.SortFunc(edits, func(a, b docEdit) int { return b.line - a.line })
		for _, e := range edits {
			lines = slices.Replace(lines, e.line-1, e.line-1+e.n, e.lines...)
		}
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %d samples of %s", len(edits), file)
	}
}

func TestOutputMatches(t *testing.T) {
	lines := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	for _, tt := range []struct {
		want, got string
		ok        bool
	}{
		{"", "", true},
		{"a\nb", "a\nb", true},
		{"a\nb", "a\nb\nc", false},
		{"a\n...", "a\nb\nc", true},
		{"a\n...", "a", true},
		{"...\nc", "a\nb\nc", true},
		{"a\n...\nc", "a\nc", true},
		{"a\n...\nc", "a\nb\nc\nd", false},
		{"a\n...\nc\n...\ne", "a\nb\nc\nd\ne", true},
		{"a\n...\nd\n...\nc", "a\nb\nc\nd\ne", false},
		{"a   ", "a", true},
		{"at HEAD (53b9b103d266):", "at HEAD (0123456789ab):", true},
		{"at HEAD (53b9b103d266):", "at HEAD (0123456789):", false},
		{"go1.26.8, schema v2", "go1.27.1, schema v2", true},
		{"written in 412ms (3 evaluated)", "written in 1m2.5s (3 evaluated)", true},
		{"written in 412ms (3 evaluated)", "written in 412ms (2 evaluated)", false},
		{"interval: 5m", "interval: 6m", false},
	} {
		if got := outputMatches(lines(tt.want), lines(tt.got)); got != tt.ok {
			t.Errorf("outputMatches(%q, %q) = %v, want %v", tt.want, tt.got, got, tt.ok)
		}
	}
}

func TestParseMarkdown(t *testing.T) {
	md := "text\n" +
		"````markdown\n```console\n$ inside\n```\n````\n" +
		"1. step\n\n   ```console session=s empty\n   $ indented\n   out\n   ```\n" +
		"<!--\n```cue file=a/b.cue\nx: 1\n```\n-->\n"
	path := filepath.Join(t.TempDir(), "doc.md")
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	blocks, err := parseMarkdown(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 {
		t.Fatalf("%d blocks: %+v", len(blocks), blocks)
	}
	if b := blocks[0]; b.lang() != "markdown" || len(b.body) != 3 {
		t.Errorf("the fence of four backticks holds %q", b.body)
	}
	b := blocks[1]
	if s, _ := b.attr("session"); s != "s" || b.lang() != "console" || strings.Join(b.body, "|") != "$ indented|out" {
		t.Errorf("indented block: %+v", b)
	}
	if _, ok := b.attr("empty"); !ok {
		t.Errorf("indented block: no empty in %q", b.info)
	}
	if f, _ := blocks[2].attr("file"); f != "a/b.cue" || blocks[2].line != 15 {
		t.Errorf("block in a comment: %+v", blocks[2])
	}
}
