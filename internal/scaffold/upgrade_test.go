package scaffold

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUpgradeWiring rewrites the wiring platformc init wrote for schema v2
// (testdata/v2-*.cue) and gets, byte for byte, the template's v3 wiring;
// a second upgrade changes nothing.
func TestUpgradeWiring(t *testing.T) {
	for _, tc := range []struct {
		name    string
		upgrade func(name string, src []byte) ([]byte, bool, error)
	}{
		{"clusters", func(name string, src []byte) ([]byte, bool, error) {
			out, changed, v3, err := UpgradeClusters(name, src)
			if err == nil && !v3 {
				t.Errorf("%s: v3 wiring not found after the upgrade", name)
			}
			return out, changed, err
		}},
		{"bundles", UpgradeBundles},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := read(t, filepath.Join("testdata", "v2-"+tc.name+".cue"))
			want := read(t, filepath.Join("_template", tc.name, tc.name+".cue"))
			got, changed, err := tc.upgrade(tc.name+".cue", old)
			if err != nil {
				t.Fatal(err)
			}
			if !changed {
				t.Fatal("the v2 wiring was not recognised")
			}
			if string(got) != string(want) {
				t.Errorf("upgraded:\n%s\nwant the template's:\n%s", got, want)
			}
			again, changed, err := tc.upgrade(tc.name+".cue", got)
			if err != nil || changed || string(again) != string(got) {
				t.Errorf("a second upgrade changed the file (changed %t, err %v)", changed, err)
			}
		})
	}
}

// TestUpgradeLeavesOtherShapesAlone: a wiring platformc did not write is
// not touched.
func TestUpgradeLeavesOtherShapesAlone(t *testing.T) {
	for _, src := range []string{
		"package clusters\n\nclusters: [Name=string]: {name: Name}\n",
		"package clusters\n\nimport \"x.example/p/bundles\"\n\nclusters: [Name=string]: C=({#catalog: bundles.other, #bundles: (bundles & {#cluster: C.#view}).bundles})\n",
	} {
		out, changed, v3, err := UpgradeClusters("c.cue", []byte(src))
		if err != nil || changed || v3 || string(out) != src {
			t.Errorf("%q: changed %t, v3 %t, err %v", src, changed, v3, err)
		}
	}
	src := "package bundles\n\n#cluster: {name: string}\n"
	if out, changed, err := UpgradeBundles("b.cue", []byte(src)); err != nil || changed || string(out) != src {
		t.Errorf("%q: changed %t, err %v", src, changed, err)
	}
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
