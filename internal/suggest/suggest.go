// Package suggest finds, among known names, the one a user probably meant.
//
// The edit distance is a dozen lines written here rather than a dependency:
// the names are short (DNS labels of at most 63 characters) and few, so the
// textbook two-row algorithm is all it takes.
package suggest

import "strings"

// Closest returns the candidate nearest to name by edit distance, if it is
// near enough to be a typo: at most a third of name's length, and at least
// 2, edits away. Ties go to the candidate listed first. Failing that, the
// one candidate that name begins, as "core" begins "core-basic".
func Closest(name string, candidates []string) (string, bool) {
	if best, ok := nearest(name, candidates); ok {
		return best, true
	}
	var prefixed []string
	for _, c := range candidates {
		if name != "" && c != name && strings.HasPrefix(c, name) {
			prefixed = append(prefixed, c)
		}
	}
	if len(prefixed) == 1 {
		return prefixed[0], true
	}
	return "", false
}

func nearest(name string, candidates []string) (string, bool) {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := Distance(name, c); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(2, len([]rune(name))/3)
	if bestDist < 0 || bestDist > limit || bestDist == 0 {
		return "", false
	}
	return best, true
}

// Distance is the Levenshtein distance between a and b: the fewest
// insertions, deletions and substitutions of runes turning a into b.
func Distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	prev := make([]int, len(t)+1)
	cur := make([]int, len(t)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := range s {
		cur[0] = i + 1
		for j := range t {
			cost := 1
			if s[i] == t[j] {
				cost = 0
			}
			cur[j+1] = min(prev[j+1]+1, cur[j]+1, prev[j]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(t)]
}
