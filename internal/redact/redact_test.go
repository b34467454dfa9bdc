package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/literal"
	"go.yaml.in/yaml/v3"
)

// nasty are secrets a printer mangles: quotes, tabs, newlines, HTML
// characters, non-ASCII, long enough to be elided, short.
var nasty = map[string]string{
	"QUOTED": "dq\"Sec\tret'<&>",
	"PEM":    "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKjMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\nNMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ\n-----END KEY-----",
	"LONG":   strings.Repeat("0123456789abcdef", 7) + "ünïcode",
	"SHORT":  "x7q",
}

// printers are the ways a value reaches platformc's output.
var printers = map[string]func(string) string{
	"plain": func(v string) string { return "value: " + v },
	"go":    func(v string) string { return "conflicting values " + strconv.Quote(v) + " and 1" },
	"ascii": func(v string) string { return strconv.QuoteToASCII(v) },
	"cue":   func(v string) string { return literal.String.Quote(v) },
	"json":  func(v string) string { b, _ := json.Marshal(map[string]string{"k": v}); return string(b) },
	"yaml": func(v string) string {
		b, _ := yaml.Marshal(map[string]any{"a": map[string]string{"k": v}})
		return string(b)
	},
	"yamlseq": func(v string) string { b, _ := yaml.Marshal(map[string]any{"a": []string{v, v + v}}); return string(b) },
	"b64":     func(v string) string { return base64.StdEncoding.EncodeToString([]byte(v)) },
	"b64url":  func(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) },
	"basic1":  func(v string) string { return base64.StdEncoding.EncodeToString([]byte("u:" + v)) },
	"basic2":  func(v string) string { return base64.StdEncoding.EncodeToString([]byte("us:" + v + "@host")) },
	"basic3":  func(v string) string { return base64.StdEncoding.EncodeToString([]byte("use:" + v)) },
	// diag elides the middle of long quoted strings.
	"elided": func(v string) string {
		q := []rune(strconv.Quote(v))
		if len(q) < 80 {
			return string(q)
		}
		return string(q[:41]) + "…" + string(q[len(q)-21:])
	},
}

// leak returns a fragment of an encoding of secret found in out: a run of
// Gram bytes of the encoding, or the whole encoding if it is shorter and
// says something.
func leak(out, secret string) string {
	for _, enc := range []string{secret, strconv.Quote(secret), base64.StdEncoding.EncodeToString([]byte(secret))} {
		for line := range strings.SplitSeq(enc, "\n") {
			line = strings.TrimSpace(line)
			if len(line) < Gram {
				if meaningful(line) && strings.Contains(out, line) {
					return line
				}
				continue
			}
			for i := 0; i+Gram <= len(line); i++ {
				if strings.Contains(out, line[i:i+Gram]) {
					return line[i : i+Gram]
				}
			}
		}
	}
	return ""
}

func TestNoFormOfASecretIsPrinted(t *testing.T) {
	r := New(nasty)
	for name, secret := range nasty {
		for how, print := range printers {
			printed := print(secret)
			got := r.String(printed)
			if l := leak(got, secret); l != "" {
				t.Errorf("%s printed %s: %q is left in\n%s", name, how, l, got)
			}
			// Inside a longer base64 string, a value of a few bytes
			// leaves a few characters of its own, which are not looked
			// for: they would be found everywhere.
			if strings.HasPrefix(how, "basic") && len(secret) < 6 {
				continue
			}
			if !strings.Contains(got, "<redacted ") {
				t.Errorf("%s printed %s: nothing redacted in\n%s", name, how, got)
			}
		}
	}
}

func TestWhatIsNoSecretStays(t *testing.T) {
	r := New(map[string]string{"PW": "hunter2-correct-horse", "PIN": "4711"})
	in := "replicas: 2\nimage: nginx:1.25\nmode: on\npassword: hunter2-correct-horse\npin: 4711\n"
	want := "replicas: 2\nimage: nginx:1.25\nmode: on\npassword: <redacted PW>\npin: <redacted PIN>\n"
	if got := r.String(in); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var none *Redactor
	if none.String("x") != "x" || string(none.Bytes([]byte("x"))) != "x" {
		t.Error("a nil redactor changes its input")
	}
	if New(nil).String("abc") != "abc" {
		t.Error("an empty redactor changes its input")
	}
}

func TestLateSecretsHideEarlierWrites(t *testing.T) {
	var out bytes.Buffer
	r := New(nil)
	w := NewWriter(&out, r)
	fmt.Fprint(w, "first: s3cr3t-v")
	fmt.Fprint(w, "alue\n")
	r.Add("S", "s3cr3t-value")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "first: <redacted S>\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	w.Reveal()
	fmt.Fprint(w, "s3cr3t-value")
	_ = w.Flush()
	if !strings.HasSuffix(out.String(), "s3cr3t-value") {
		t.Errorf("Reveal did not reveal: %q", out.String())
	}
}

func TestShapesHideEarlierValues(t *testing.T) {
	r := New(map[string]string{"PW": "new\"secret\tvalue"})
	current := []byte("# header\ngrafana:\n  adminPassword: \"new\\\"secret\\tvalue\"\n  replicas: 2\n")
	s := r.Shapes()
	s.Learn("monitoring/grafana", current)
	for name, old := range map[string]string{
		"rotated":   "# header\ngrafana:\n  adminPassword: old-plain-value\n  replicas: 1\n",
		"multiline": "# header\ngrafana:\n  adminPassword: |-\n    line one of it\n    ab\n  replicas: 1\n",
		"short":     "# header\ngrafana:\n  adminPassword: ab\n  replicas: 1\n",
		"last":      "# header\ngrafana:\n  replicas: 1\n  adminPassword: 'old ''quoted'' one'",
	} {
		got := string(s.Hide("monitoring/grafana", []byte(old)))
		for _, gone := range []string{"old-plain-value", "line one", "ab\n", "quoted"} {
			if strings.Contains(got, gone) {
				t.Errorf("%s: %q left in\n%s", name, gone, got)
			}
		}
		if !strings.Contains(got, "adminPassword: <redacted PW>") || !strings.Contains(got, "replicas: 1") {
			t.Errorf("%s: got\n%s", name, got)
		}
	}
	if got := string(s.Hide("monitoring/grafana", []byte("grafana: [unclosed"))); strings.Contains(got, "unclosed") {
		t.Errorf("a document that is not YAML is shown: %s", got)
	}
	other := []byte("grafana:\n  adminPassword: not-a-secret-here\n")
	if got := s.Hide("monitoring/loki", other); !bytes.Equal(got, other) {
		t.Errorf("another group changed: %s", got)
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("s3cr3t\"\tvalue", "prefix ", 3)
	f.Add("a", "", 0)
	f.Add("-----BEGIN-----\nabcdefghijkl\n-----END-----", "key: |\n  ", 1)
	f.Fuzz(func(t *testing.T, secret, prefix string, how int) {
		if !meaningful(secret) {
			return
		}
		r := New(map[string]string{"S": secret})
		names := []string{"plain", "go", "json", "yaml", "b64", "basic1", "basic2", "basic3", "elided"}
		print := printers[names[(how%len(names)+len(names))%len(names)]]
		got := r.String(prefix + print(secret))
		for i := 0; i+Gram <= len(secret); i++ {
			frag := secret[i : i+Gram]
			if !strings.Contains(frag, "\n") && strings.Contains(got, frag) && !strings.Contains(prefix, frag) {
				t.Fatalf("%q left in %q", frag, got)
			}
		}
	})
}
