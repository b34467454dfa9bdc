package preview

import "testing"

func TestLabelSelectorMatches(t *testing.T) {
	labels := map[string]string{"env": "dev", "monitoring-basic": "enabled", "team": "alpha"}
	tests := []struct {
		name    string
		sel     LabelSelector
		want    bool
		wantErr bool
	}{
		{name: "empty matches everything", sel: LabelSelector{}, want: true},
		{name: "all matchLabels equal", sel: LabelSelector{MatchLabels: map[string]string{"env": "dev", "monitoring-basic": "enabled"}}, want: true},
		{name: "one matchLabel differs", sel: LabelSelector{MatchLabels: map[string]string{"env": "prod", "monitoring-basic": "enabled"}}, want: false},
		{name: "a matchLabel key is missing", sel: LabelSelector{MatchLabels: map[string]string{"storage-basic": "enabled"}}, want: false},
		{name: "an empty value does not match a missing key", sel: LabelSelector{MatchLabels: map[string]string{"tier": ""}}, want: false},
		{name: "In", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "env", Operator: "In", Values: []string{"dev", "staging"}}}}, want: true},
		{name: "In, not among the values", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "env", Operator: "In", Values: []string{"prod"}}}}, want: false},
		{name: "NotIn a missing key matches", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "tier", Operator: "NotIn", Values: []string{"critical"}}}}, want: true},
		{name: "NotIn", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "env", Operator: "NotIn", Values: []string{"dev"}}}}, want: false},
		{name: "Exists", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "team", Operator: "Exists"}}}, want: true},
		{name: "DoesNotExist", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "team", Operator: "DoesNotExist"}}}, want: false},
		{name: "labels and expressions are ANDed", sel: LabelSelector{
			MatchLabels:      map[string]string{"env": "dev"},
			MatchExpressions: []Requirement{{Key: "team", Operator: "In", Values: []string{"beta"}}},
		}, want: false},
		{name: "In without values is an error", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "env", Operator: "In"}}}, wantErr: true},
		{name: "Exists with values is an error", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "env", Operator: "Exists", Values: []string{"x"}}}}, wantErr: true},
		{name: "an unknown operator is an error", sel: LabelSelector{MatchExpressions: []Requirement{{Key: "env", Operator: "Equals", Values: []string{"dev"}}}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sel.Matches(labels)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}
