package eval

import (
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/platformc/platformc/schema"
)

// schemaVersion checks that the platform's schema/ has the version of the
// schema platformc was built with, and says what to do when it has not.
// The schema as a whole is not checked here: its definitions are checked
// where the platform uses them (on its own, #Cluster's policy fails, as
// cue vet ./schema shows).
func schemaVersion(v cue.Value) cueerrors.Error {
	sv := v.LookupPath(cue.ParsePath("#SchemaVersion"))
	if !sv.Exists() {
		return newError(token.NoPos, nil,
			"schema/ has no #SchemaVersion: it is older than this platformc's schema %s; run platformc init --upgrade-schema to rewrite schema/",
			schema.Version)
	}
	got, err := sv.String()
	if err != nil {
		return cueerrors.Promote(err, "")
	}
	have, ok := versionNumber(got)
	if !ok {
		return newError(sv.Pos(), nil, "schema version %q is not of the form v<number>, as in %q", got, schema.Version)
	}
	want, _ := versionNumber(schema.Version)
	switch {
	case have < want:
		return newError(sv.Pos(), nil,
			"the platform's schema is %s, older than this platformc's %s; run platformc init --upgrade-schema to rewrite schema/, then platformc vet to see what to change",
			got, schema.Version)
	case have > want:
		return newError(sv.Pos(), nil,
			"the platform's schema is %s, newer than this platformc's %s; use a platformc built with schema %s (platformc version names its schema)",
			got, schema.Version, got)
	}
	return nil
}

// versionNumber parses a schema version "v<n>".
func versionNumber(s string) (int, bool) {
	digits, ok := strings.CutPrefix(s, "v")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == digits
}
