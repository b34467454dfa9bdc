package load

import (
	"fmt"
	"regexp"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
)

// Env looks up an environment variable (os.LookupEnv).
type Env func(name string) (string, bool)

// tagUse is one field that reads a secret: field: string @tag(NAME).
type tagUse struct {
	name string
	attr *ast.Attribute
	path []string // the labels leading to the field
}

// secretsOf finds every @tag(NAME) of the loaded files and looks NAME up in
// the environment. A variable that is not set is an error at the field,
// naming the variable and what needs it.
func secretsOf(insts []*build.Instance, env Env) (map[string]string, error) {
	seen := map[string]bool{}
	var uses []tagUse
	for _, inst := range insts {
		for _, f := range inst.Files {
			if seen[f.Filename] {
				continue
			}
			seen[f.Filename] = true
			uses = append(uses, tagUses(f.Decls, nil)...)
		}
	}
	secrets := map[string]string{}
	var errs cueerrors.Error
	for _, u := range uses {
		v, ok := env(u.name)
		if !ok {
			errs = cueerrors.Append(errs, cueerrors.Newf(u.attr.Pos(),
				"environment variable %s is not set; %s reads it (@tag(%s)): set it in the environment platformc runs in",
				u.name, reader(u.path), u.name))
			continue
		}
		secrets[u.name] = v
	}
	if errs != nil {
		return nil, errs
	}
	return secrets, nil
}

// tagUses walks declarations for fields with a @tag attribute.
func tagUses(decls []ast.Decl, path []string) []tagUse {
	var uses []tagUse
	for _, d := range decls {
		field, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		label, _, err := ast.LabelName(field.Label)
		if err != nil {
			label = "[_]"
		}
		p := append(append([]string{}, path...), label)
		for _, a := range field.Attrs {
			if key, body := a.Split(); key == "tag" {
				name, _, _ := strings.Cut(body, ",")
				uses = append(uses, tagUse{name: strings.TrimSpace(name), attr: a, path: p})
			}
		}
		if st, ok := field.Value.(*ast.StructLit); ok {
			uses = append(uses, tagUses(st.Elts, p)...)
		}
	}
	return uses
}

// reader names what reads a secret, from the path of its field.
func reader(path []string) string {
	switch {
	case len(path) >= 4 && path[0] == "bundles" && path[2] == "apps":
		return fmt.Sprintf("app %q of bundle %q", path[3], path[1])
	case len(path) >= 2 && path[0] == "clusters" && path[1] != "[_]":
		return fmt.Sprintf("cluster %q", path[1])
	}
	return strings.Join(path, ".")
}

// tagPattern finds the names of @tag attributes in a file's bytes, for the
// cache key: the values of those variables are inputs too. It may find more
// than cue/load would (say, in a comment); that only costs a cache miss.
var tagPattern = regexp.MustCompile(`@tag\(\s*"?([A-Za-z_][A-Za-z0-9_]*)`)

func tagNames(data []byte) []string {
	var names []string
	for _, m := range tagPattern.FindAllSubmatch(data, -1) {
		names = append(names, string(m[1]))
	}
	return names
}
