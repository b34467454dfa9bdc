package schema

import (
	"io/fs"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// TestVersion keeps Version in step with #SchemaVersion in version.cue.
func TestVersion(t *testing.T) {
	data, err := fs.ReadFile(FS, "version.cue")
	if err != nil {
		t.Fatal(err)
	}
	v := cuecontext.New().CompileBytes(data).LookupPath(cue.ParsePath("#SchemaVersion"))
	got, err := v.String()
	if err != nil {
		t.Fatal(err)
	}
	if got != Version {
		t.Errorf("version.cue has #SchemaVersion %q, schema.Version is %q", got, Version)
	}
}
