package redact

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	r := New(map[string]string{"GRAFANA_PW": "hunter2!", "SHORT": "on", "TOKEN": "abcd1234abcd"})
	in := strings.Join([]string{
		"password: hunter2!",
		"encoded: " + base64.StdEncoding.EncodeToString([]byte("hunter2!")),
		"token=abcd1234abcd",
		"mode: on",
	}, "\n")
	got := r.String(in)
	for _, secret := range []string{"hunter2!", base64.StdEncoding.EncodeToString([]byte("hunter2!")), "abcd1234abcd"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q left in:\n%s", secret, got)
		}
	}
	for _, want := range []string{"password: <redacted GRAFANA_PW>", "encoded: <redacted GRAFANA_PW>", "token=<redacted TOKEN>", "mode: on"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q not in:\n%s", want, got)
		}
	}
	if string(r.Bytes([]byte(in))) != got {
		t.Error("Bytes and String differ")
	}
	var none *Redactor
	if none.String("x") != "x" {
		t.Error("a nil redactor changes its input")
	}
}

func TestPairHidesAnEarlierValue(t *testing.T) {
	r := New(map[string]string{"PW": "new-secret"})
	old := []byte("grafana:\n  adminPassword: old-secret\n  replicas: 1\n")
	new := []byte("grafana:\n  adminPassword: new-secret\n  replicas: 2\n")
	o, n := r.Pair(old, new)
	for _, b := range [][]byte{o, n} {
		if strings.Contains(string(b), "secret") && !strings.Contains(string(b), "<redacted PW>") {
			t.Errorf("a secret is left in:\n%s", b)
		}
		if strings.Contains(string(b), "old-secret") || strings.Contains(string(b), "new-secret") {
			t.Errorf("a secret is left in:\n%s", b)
		}
	}
	if !strings.Contains(string(o), "replicas: 1") || !strings.Contains(string(n), "replicas: 2") {
		t.Errorf("redaction hid what is no secret:\n%s\n%s", o, n)
	}
}
