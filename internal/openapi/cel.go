package openapi

import "strings"

// celRules are the CEL rules (x-kubernetes-validations) of the upstream
// CRDs that the objects platformc writes reach, each written out in Go as
// the API server evaluates it on a new object: self is the value the rule
// is attached to. A field that a rule reads with size() and that is
// missing makes CEL fail, which fails the validation, as here.
var celRules = map[string]func(self any) bool{
	// Sveltos ClusterProfile, spec.helmCharts[]: an HTTP or OCI chart
	// repository needs the chart's name, version and repository name.
	`self.repositoryURL.startsWith('http') ? size(self.chartName) >= 1 : true`:      prefixNeeds("http", "chartName"),
	`self.repositoryURL.startsWith('oci') ? size(self.chartName) >= 1 : true`:       prefixNeeds("oci", "chartName"),
	`self.repositoryURL.startsWith('http') ? size(self.chartVersion) >= 1 : true`:   prefixNeeds("http", "chartVersion"),
	`self.repositoryURL.startsWith('oci') ? size(self.chartVersion) >= 1 : true`:    prefixNeeds("oci", "chartVersion"),
	`self.repositoryURL.startsWith('http') ? size(self.repositoryName) >= 1 : true`: prefixNeeds("http", "repositoryName"),
	`self.repositoryURL.startsWith('oci') ? size(self.repositoryName) >= 1 : true`:  prefixNeeds("oci", "repositoryName"),
	// Sveltos SveltosCluster, spec.
	`!has(self.workloadIdentity) || !has(self.kubeconfigName)`: func(self any) bool {
		return !has(self, "workloadIdentity") || !has(self, "kubeconfigName")
	},
	// Flux GitRepository, spec.
	`!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure' || self.provider == 'aws'))`: func(self any) bool {
		if !has(self, "serviceAccountName") {
			return true
		}
		p, _ := self.(map[string]any)["provider"].(string)
		return p == "azure" || p == "aws"
	},
}

// prefixNeeds is "self.repositoryURL.startsWith(prefix) ? size(self.field) >= 1 : true".
func prefixNeeds(prefix, field string) func(any) bool {
	return func(self any) bool {
		m, _ := self.(map[string]any)
		url, _ := m["repositoryURL"].(string)
		if !strings.HasPrefix(url, prefix) {
			return true
		}
		v, _ := m[field].(string)
		return len(v) >= 1
	}
}

// has is CEL's has(self.field) on an object.
func has(self any, field string) bool {
	m, _ := self.(map[string]any)
	_, ok := m[field]
	return ok
}
