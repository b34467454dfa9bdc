package preview

import (
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Replace substitutes {{param}} in s as ArgoCD's default templating
// (fasttemplate) does: the tag is trimmed of spaces and looked up; a tag
// that names no parameter, or an empty one, is left as it was; "{{" without
// a closing "}}" is kept as text.
func Replace(s string, params map[string]string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	var b strings.Builder
	for {
		start := strings.Index(s, "{{")
		if start < 0 {
			break
		}
		end := strings.Index(s[start+2:], "}}")
		if end < 0 {
			break
		}
		tag := s[start+2 : start+2+end]
		b.WriteString(s[:start])
		if v, ok := params[strings.TrimSpace(tag)]; ok && strings.TrimSpace(tag) != "" {
			b.WriteString(v)
		} else {
			b.WriteString("{{" + tag + "}}")
		}
		s = s[start+2+end+2:]
	}
	b.WriteString(s)
	return b.String()
}

// replaceAll applies Replace to every string value in v (not to map keys,
// as ArgoCD does not).
func replaceAll(v any, params map[string]string) any {
	switch v := v.(type) {
	case string:
		return Replace(v, params)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = replaceAll(e, params)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = replaceAll(e, params)
		}
		return out
	default:
		return v
	}
}

var tagPattern = regexp.MustCompile(`\{\{[^}]*\}\}`)

// unresolved returns the first {{...}} tag left in any string of v, or "".
func unresolved(v any) string {
	switch v := v.(type) {
	case string:
		return tagPattern.FindString(v)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if t := unresolved(v[k]); t != "" {
				return t
			}
		}
	case []any:
		for _, e := range v {
			if t := unresolved(e); t != "" {
				return t
			}
		}
	}
	return ""
}

var invalidDNSChars = regexp.MustCompile(`[^-a-z0-9.]`)

// normalize is ArgoCD's nameNormalized: lower case, characters outside
// [-a-z0-9.] replaced by "-", at most 253 characters, trimmed of "-" and ".".
func normalize(name string) string {
	name = invalidDNSChars.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.Trim(name, "-.")
}
