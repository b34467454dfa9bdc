package preview

import (
	"fmt"
	"maps"
	"slices"
)

// LabelSelector is a Kubernetes label selector (metav1.LabelSelector).
type LabelSelector struct {
	MatchLabels      map[string]string `json:"matchLabels"`
	MatchExpressions []Requirement     `json:"matchExpressions"`
}

// Requirement is one match expression.
type Requirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values"`
}

// Empty reports whether the selector says nothing.
func (s LabelSelector) Empty() bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

// Matches reports whether labels satisfy every term of the selector, as
// Kubernetes evaluates it: matchLabels and matchExpressions are ANDed; In
// and NotIn take values, Exists and DoesNotExist take none; NotIn matches
// a missing key. An empty selector matches everything.
func (s LabelSelector) Matches(labels map[string]string) (bool, error) {
	for _, k := range slices.Sorted(maps.Keys(s.MatchLabels)) {
		if v, ok := labels[k]; !ok || v != s.MatchLabels[k] {
			return false, nil
		}
	}
	for _, r := range s.MatchExpressions {
		v, has := labels[r.Key]
		switch r.Operator {
		case "In", "NotIn":
			if len(r.Values) == 0 {
				return false, fmt.Errorf("selector: %s %s needs values", r.Key, r.Operator)
			}
			in := has && slices.Contains(r.Values, v)
			if in != (r.Operator == "In") {
				return false, nil
			}
		case "Exists", "DoesNotExist":
			if len(r.Values) > 0 {
				return false, fmt.Errorf("selector: %s %s takes no values", r.Key, r.Operator)
			}
			if has != (r.Operator == "Exists") {
				return false, nil
			}
		default:
			return false, fmt.Errorf("selector: %s: unknown operator %q (In, NotIn, Exists, DoesNotExist)", r.Key, r.Operator)
		}
	}
	return true, nil
}
