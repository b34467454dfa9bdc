// Package workload generates the baseline's synthetic platform as a
// platformc CUE module (see ../shared/baseline/README.md): N clusters, six
// bundles, 22 apps, a 30-line values document per app.
package workload

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/platformc/platformc/internal/scaffold"
	"github.com/platformc/platformc/schema"
)

// Bundles are the baseline's bundles and their apps, in its order.
var Bundles = []struct {
	Name string
	Apps []string
}{
	{"core-basic", []string{"cert-manager", "external-dns", "ingress-nginx", "reloader"}},
	{"security-basic", []string{"falco", "node-exporter", "kyverno", "otterize"}},
	{"monitoring-basic", []string{"prometheus-crds", "victoria-metrics-cluster", "infrastructure-alerts", "victoria-metrics-agent"}},
	{"monitoring-medium", []string{"victoria-metrics-operator", "grafana", "alertmanager"}},
	{"storage-basic", []string{"velero", "csi-snapshotter", "minio"}},
	{"finops-basic", []string{"opencost", "kubecost-exporter", "goldilocks", "vpa"}},
}

var envs = []string{"dev", "staging", "prod"}

var optional = []string{"monitoring-basic", "monitoring-medium", "storage-basic", "finops-basic"}

// ClusterName is the name of cluster i.
func ClusterName(i int) string { return fmt.Sprintf("cluster-%05d", i) }

// ClusterDir is the directory of cluster i, relative to the module root.
func ClusterDir(i int) string {
	return filepath.Join("clusters", envs[i%3], ClusterName(i))
}

// module is the workload's CUE module path.
const module = "bench.local/platform"

// Write writes the module for n clusters into dir.
func Write(dir string, n int) error { return write(dir, n, false) }

// WriteFleet writes the shared-settings workload (gen.py --fleet) for n
// clusters into dir: the apps' parameters are set per environment in the
// bundles, the registry mirror per region in each cluster's settings, and
// only the apps of Named read the cluster's name. No cluster overrides a
// value of its own.
func WriteFleet(dir string, n int) error { return write(dir, n, true) }

// Named are the apps whose values read the cluster's name in the
// shared-settings workload.
var Named = map[string]bool{"external-dns": true, "grafana": true, "victoria-metrics-agent": true}

var regions = []string{"eu", "us", "ap"}

func write(dir string, n int, fleet bool) error {
	wiring, err := scaffold.Wiring(module)
	if err != nil {
		return err
	}
	bundles, cluster := bundlesCUE, Cluster
	if fleet {
		bundles, cluster = fleetBundlesCUE(), fleetCluster
	}
	files := map[string]string{
		"cue.mod/module.cue":    "module: \"" + module + "\"\nlanguage: version: \"v0.17.0\"\n",
		"platform/platform.cue": platformCUE,
		"bundles/bundles.cue":   bundles,
		"clusters/clusters.cue": string(wiring),
		// Every cluster's control plane VMs, beside the wiring, which is
		// platformc's own (see scaffold.IsWiring).
		"clusters/defaults.cue": "package clusters\n\nclusters: [_]: controlPlane: {vmClass: \"best-effort-small\", storageClass: \"vsan-default-storage-policy\"}\n",
	}
	for i := range Bundles {
		files[filepath.Join("bundles", Bundles[i].Name+".cue")] = bundleCUE(i, fleet)
	}
	for _, env := range envs {
		files[filepath.Join("clusters", env, "env.cue")] = fmt.Sprintf("package clusters\n\nclusters: [_]: env: %q\n", env)
	}
	for i := range n {
		files[filepath.Join(ClusterDir(i), "cluster.cue")] = cluster(i)
	}
	err = fs.WalkDir(schema.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(schema.FS, p)
		files[filepath.Join("schema", p)] = string(data)
		return err
	})
	if err != nil {
		return err
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// enabledBundles are the bundles cluster i enables, as gen.py picks them.
func enabledBundles(i int) []string {
	bundles := []string{"core-basic", "security-basic"}
	for j, o := range optional {
		if j == 0 || (i>>j)&1 == 1 {
			bundles = append(bundles, o)
		}
	}
	return bundles
}

// clusterHead starts the CUE file declaring cluster i: what every
// workload's clusters declare.
func clusterHead(b *strings.Builder, i int) {
	var quoted []string
	for _, bn := range enabledBundles(i) {
		quoted = append(quoted, fmt.Sprintf("%q", bn))
	}
	fmt.Fprintf(b, "package clusters\n\nclusters: %q: {\n", ClusterName(i))
	fmt.Fprintf(b, "\tvsphereNamespace: \"ns-%05d\"\n", i)
	fmt.Fprintf(b, "\tserver:           \"https://10.%d.%d.%d:6443\"\n", i/65536%256, i/256%256, i%256)
	fmt.Fprintf(b, "\ttkr:              \"v1.29.4---vmware.3-fips.1-tkg.1\"\n")
	fmt.Fprintf(b, "\tbundles: [%s]\n", strings.Join(quoted, ", "))
}

// params are gen.py's parameters of the j-th app (in the order of
// Bundles) for p, the cluster's index or, in a fleet, its environment's.
func params(p, j int) (tag string, replicas int, cpu, memory string) {
	return fmt.Sprintf("v1.%d.%d", p%7, j), 1 + (p+j)%3, fmt.Sprintf("%dm", 100+10*(j%5)), fmt.Sprintf("%dMi", 128*(1+j%4))
}

// Cluster is the CUE file declaring cluster i, with the baseline's
// per-app parameters as value overrides.
func Cluster(i int) string {
	var b strings.Builder
	clusterHead(&b, i)
	enabled := map[string]bool{}
	for _, bn := range enabledBundles(i) {
		enabled[bn] = true
	}
	fmt.Fprintf(&b, "\tsettings: {nodeType: \"platform\", configmapReloadTag: \"v0.11.0\"}\n")
	fmt.Fprintf(&b, "\tvalues: {\n")
	k := 0
	for _, bundle := range Bundles {
		for _, app := range bundle.Apps {
			if enabled[bundle.Name] {
				tag, replicas, cpu, memory := params(i, k)
				fmt.Fprintf(&b, "\t\t%q: %q: {image: tag: %q, replicaCount: %d, resources: {requests: {cpu: %q, memory: %q}, limits: memory: %q}}\n",
					app, app, tag, replicas, cpu, memory, memory)
			}
			k++
		}
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// fleetCluster is the CUE file declaring cluster i of the shared-settings
// workload: no values of its own, the registry mirror of its region.
func fleetCluster(i int) string {
	var b strings.Builder
	clusterHead(&b, i)
	fmt.Fprintf(&b, "\tsettings: registry: \"pullproxy-%s.corp.local\"\n}\n", regions[(i/3)%3])
	return b.String()
}

const platformCUE = `package platform

import "bench.local/platform/schema"

platform: schema.#Platform & {
	registry: "pullproxy.corp.local"
	valuesRepo: url: "git@git.corp.local:platformteam/service-value-repo"
	catalogRepo: url: "git@git.corp.local:mirror/kubernetes-service-catalog.git"
	environments: {
		dev: branch:     "development"
		staging: branch: "development"
		prod: branch:    "main"
	}
	controlPlanes: {
		development: environments: ["dev", "staging"]
		production: environments: ["prod"]
	}
	settings: {
		registry: "pullproxy.corp.local"
		nodeType: "platform"
		configmapReloadTag: "v0.11.0"
	}
}
`

// bundlesCUE is what the bundles share: every app's values are the
// baseline's values template, its per-cluster parameters left to the
// clusters.
const bundlesCUE = `package bundles

import (
	"bench.local/platform/platform"
	"bench.local/platform/schema"
)

#platform: platform.platform

#cluster: _

bundles: [Name=string]: schema.#Bundle & {name: Name}

// _app is the baseline's values document for one app.
_app: {
	#name:     string
	#bundle:   string
	category:  #bundle
	chart:     "1.0.0"
	namespace: #name
	values: (#name): {
		image: {
			repository: "\(#cluster.settings.registry)/hub.docker.com/\(#name)/\(#name)"
			tag:        string
		}
		replicaCount: int
		clusterName:  #cluster.name
		environment:  #cluster.env
		resources: {
			requests: {cpu: string, memory: string}
			limits: memory: string
		}
		env: [{
			name:  "CONFIG_RELOAD_IMAGE"
			value: "\(#cluster.settings.registry)/ghcr.io/jimmidyson/configmap-reload:\(#cluster.settings.configmapReloadTag)"
		}, {
			name:  "CLUSTER"
			value: #cluster.name
		}]
		tolerations: [{key: "nodetype", operator: "Equal", value: #cluster.settings.nodeType, effect: "NoSchedule"}]
		affinity: nodeAffinity: requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorTerms: [{
			matchExpressions: [{key: "nodetype", operator: "In", values: [#cluster.settings.nodeType]}]
		}]
	}
}
`

// fleetBundlesCUE is what the bundles of the shared-settings workload
// share: the values template of bundlesCUE, its parameters set per
// environment (_params); the apps that read the cluster's name add it
// themselves (bundleCUE), so that the others read none of it.
func fleetBundlesCUE() string {
	var b strings.Builder
	b.WriteString(`package bundles

import (
	"bench.local/platform/platform"
	"bench.local/platform/schema"
)

#platform: platform.platform

#cluster: _

bundles: [Name=string]: schema.#Bundle & {name: Name}

// _params are the apps' parameters, set per environment for the fleet.
_params: {
`)
	for e, env := range envs {
		fmt.Fprintf(&b, "\t%s: {\n", env)
		j := 0
		for _, bundle := range Bundles {
			for _, app := range bundle.Apps {
				tag, replicas, cpu, memory := params(e, j)
				fmt.Fprintf(&b, "\t\t%q: {tag: %q, replicas: %d, cpu: %q, memory: %q}\n", app, tag, replicas, cpu, memory)
				j++
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString(`}

// _app is the baseline's values document for one app of the fleet.
_app: {
	#name:     string
	#bundle:   string
	category:  #bundle
	chart:     "1.0.0"
	namespace: #name
	// A definition, not a let: a let here makes CUE v0.17.1 panic
	// ("vertex not initialized", as in cue-lang/cue#4031).
	#P: _params[#cluster.env][#name]
	values: (#name): {
		image: {
			repository: "\(#cluster.settings.registry)/hub.docker.com/\(#name)/\(#name)"
			tag:        #P.tag
		}
		replicaCount: #P.replicas
		environment: #cluster.env
		resources: {
			requests: {cpu: #P.cpu, memory: #P.memory}
			limits: memory: #P.memory
		}
		env: [{
			name:  "CONFIG_RELOAD_IMAGE"
			value: "\(#cluster.settings.registry)/ghcr.io/jimmidyson/configmap-reload:\(#cluster.settings.configmapReloadTag)"
		}, ...]
		tolerations: [{key: "nodetype", operator: "Equal", value: #cluster.settings.nodeType, effect: "NoSchedule"}]
		affinity: nodeAffinity: requiredDuringSchedulingIgnoredDuringExecution: nodeSelectorTerms: [{
			matchExpressions: [{key: "nodetype", operator: "In", values: [#cluster.settings.nodeType]}]
		}]
	}
}
`)
	return b.String()
}

// bundleCUE declares Bundles[i], in a file of its own as a platform team
// keeps its bundles; in the fleet, the apps of Named read the cluster's
// name.
func bundleCUE(i int, fleet bool) string {
	bundle := Bundles[i]
	var b strings.Builder
	fmt.Fprintf(&b, "package bundles\n\nbundles: %q: {\n\tdescription: \"Bundle %s.\"\n\tversion: \"1.0.0\"\n", bundle.Name, bundle.Name)
	if i < 2 {
		b.WriteString("\trequired: true\n")
	}
	if bundle.Name == "monitoring-medium" {
		b.WriteString("\trequires: [\"monitoring-basic\"]\n")
	}
	b.WriteString("\tapps: {\n")
	for _, app := range bundle.Apps {
		named := ""
		if fleet && Named[app] {
			named = fmt.Sprintf(`, values: %q: {clusterName: #cluster.name, env: [_, {name: "CLUSTER", value: #cluster.name}]}`, app)
		}
		fmt.Fprintf(&b, "\t\t%q: _app & {#name: %q, #bundle: %q%s}\n", app, app, bundle.Name, named)
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

// EditBundle changes one value of one app of one bundle in the workload
// at dir, as a one-line edit to a bundle does: velero's in storage-basic,
// which about half the clusters enable. Each call changes it again.
func EditBundle(dir string) error {
	p := filepath.Join(dir, "bundles", "storage-basic.cue")
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	const edit = `bundles: "storage-basic": apps: velero: values: velero: podAnnotations: "bench/edit": "`
	src, n := string(data), 0
	if i := strings.Index(src, edit); i >= 0 {
		fmt.Sscanf(src[i+len(edit):], "%d", &n)
		src = src[:i]
	}
	src = strings.TrimRight(src, "\n") + "\n\n" + fmt.Sprintf("%s%d\"\n", edit, n+1)
	return os.WriteFile(p, []byte(src), 0o644)
}
