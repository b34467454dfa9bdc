// Package impact compares what build writes for two revisions of a
// platform and groups the difference the way a reviewer reads it: per
// control plane and environment, which clusters change and how (the values
// of which apps, their registration, their TKC, their labels, the
// Applications ArgoCD generates for them); which ApplicationSets change and
// which clusters' Applications change through them; which clusters come
// and go. It is pure: it takes the evaluated platforms and their rendered
// files, and does no I/O.
//
// What ArgoCD does with the manifests is computed, not guessed: the
// Applications of both revisions are generated from the rendered
// ApplicationSets and registrations by internal/preview, as the apps
// command does, and compared.
package impact

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/platformc/platformc/internal/model"
	"github.com/platformc/platformc/internal/preview"
	"github.com/platformc/platformc/internal/render"
)

// Revision is one side of the comparison.
type Revision struct {
	// Name says which revision this is in messages ("the working tree",
	// "HEAD (1a2b3c4d5e6f)").
	Name string
	// Platform is the evaluated platform; nil when the revision has none
	// of the selected clusters (a pattern naming a directory it lacks).
	Platform *model.Platform
	// Files are the files build writes for it, sorted by path.
	Files []render.File
}

// Change is what happens to a file, a cluster, an app or an Application.
type Change string

// The changes, in the order reports list them.
const (
	Added   Change = "added"
	Changed Change = "changed"
	Removed Change = "removed"
)

// Kind is what a generated file is.
type Kind string

// The kinds of files build writes; Other is any path whose layout this
// package does not know (reported, never dropped).
const (
	Values         Kind = "values"
	ApplicationSet Kind = "applicationSet"
	Registration   Kind = "registration"
	TKC            Kind = "tkc"
	Kustomization  Kind = "kustomization"
	Other          Kind = "other"
)

// File is one file that differs between the revisions.
type File struct {
	// Path is relative to the output directory, as build writes it.
	Path   string `json:"path"`
	Change Change `json:"change"`
	Kind   Kind   `json:"kind"`
	// Cluster, App and ControlPlane are "" where they do not apply (an
	// ApplicationSet has no cluster, a TKC no app).
	Cluster      string `json:"cluster"`
	App          string `json:"app"`
	ControlPlane string `json:"controlPlane"`
	// Old and New are the file's content in each revision, nil where it
	// does not exist.
	Old []byte `json:"-"`
	New []byte `json:"-"`
}

// Report is the impact of going from the old revision to the new one.
type Report struct {
	// Against is the revision compared against as it was given, and
	// Commit the commit it names; the caller sets both.
	Against string `json:"against"`
	Commit  string `json:"commit"`
	// Summary is what the report says first, one line each: the totals,
	// then one line per app, then the clusters' own changes.
	Summary []string `json:"summary"`
	// Complete says that every cluster was compared; a partial selection
	// (a pattern) compares only the selected clusters' own files.
	Complete bool `json:"complete"`
	// Unchanged counts the files that are the same in both revisions.
	Unchanged int `json:"unchanged"`
	// Environments group the clusters that change, per control plane and
	// environment.
	Environments []Environment `json:"environments"`
	// Apps are the apps whose values or Applications change, or whose
	// ApplicationSets do, sorted by bundle and name.
	Apps []App `json:"apps"`
	// ApplicationSets are the ApplicationSet files that change, by path.
	ApplicationSets []AppSet `json:"applicationSets"`
	// Files are every file that differs, by path.
	Files []File `json:"files"`

	ix *index
}

// Environment is one environment and the clusters of it that change.
type Environment struct {
	ControlPlane string    `json:"controlPlane"`
	Env          string    `json:"env"`
	Clusters     []Cluster `json:"clusters"`
}

// Cluster is what changes on one cluster.
type Cluster struct {
	Name   string `json:"name"`
	Change Change `json:"change"`
	// From is the environment the cluster was in, if it moved.
	From string `json:"from,omitempty"`
	// Values are the apps whose values file is added, changed or removed.
	Values []AppChange `json:"values"`
	// Applications are the Applications ArgoCD generates for the cluster
	// that appear, change or disappear, by app.
	Applications []AppChange `json:"applications"`
	// Registration and TKC say how its registration and its TKC change
	// ("" if they do not).
	Registration Change `json:"registration,omitempty"`
	TKC          Change `json:"tkc,omitempty"`
	// LabelsAdded and LabelsRemoved are its labels as key=value that the
	// new revision adds or removes; a changed value is one of each.
	LabelsAdded   []string `json:"labelsAdded"`
	LabelsRemoved []string `json:"labelsRemoved"`
}

// AppChange is one app of a cluster and how it changes.
type AppChange struct {
	App    string `json:"app"`
	Change Change `json:"change"`
}

// Clusters are cluster names by how something changes on them.
type Clusters struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

func (c Clusters) empty() bool { return len(c.Added)+len(c.Changed)+len(c.Removed) == 0 }

// App is what changes of one app.
type App struct {
	Bundle string `json:"bundle"`
	App    string `json:"app"`
	// Values are the clusters whose values file of the app is added,
	// changed or removed.
	Values Clusters `json:"values"`
	// Applications are the clusters whose Application of the app appears,
	// changes or disappears.
	Applications Clusters `json:"applications"`
	// ApplicationSets are its ApplicationSet files that change.
	ApplicationSets []FileRef `json:"applicationSets"`
}

// FileRef names a file and how it changes.
type FileRef struct {
	Path   string `json:"path"`
	Change Change `json:"change"`
}

// AppSet is one ApplicationSet file that changes, and the clusters whose
// Application it generates appears, changes or disappears.
type AppSet struct {
	Path         string   `json:"path"`
	Change       Change   `json:"change"`
	ControlPlane string   `json:"controlPlane"`
	App          string   `json:"app"`
	Bundle       string   `json:"bundle"`
	Applications Clusters `json:"applications"`
}

// Empty reports whether nothing changes.
func (r *Report) Empty() bool { return len(r.Files) == 0 }

// Compare compares what build writes for old and new. It fails only when
// the manifests of a revision cannot be read back as ArgoCD reads them.
func Compare(old, new Revision) (*Report, error) {
	ix := newIndex(old.Platform, new.Platform)
	files, unchanged := diffFiles(old.Files, new.Files)
	for i := range files {
		ix.classify(&files[i])
	}
	moves, err := applicationChanges(old, new, files)
	if err != nil {
		return nil, err
	}
	r := &Report{Unchanged: unchanged, Files: files, ix: ix}
	r.Environments = ix.environments(files, moves)
	r.Apps = ix.apps(files, moves)
	r.ApplicationSets = ix.appSets(files, moves)
	r.Summary = ix.summary(r)
	if r.Files == nil {
		r.Files = []File{}
	}
	return r, nil
}

// diffFiles returns the files that differ, by path, and how many do not.
func diffFiles(old, new []render.File) ([]File, int) {
	var out []File
	unchanged := 0
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new) || (i < len(old) && old[i].Path < new[j].Path):
			out = append(out, File{Path: old[i].Path, Change: Removed, Old: old[i].Data})
			i++
		case i == len(old) || new[j].Path < old[i].Path:
			out = append(out, File{Path: new[j].Path, Change: Added, New: new[j].Data})
			j++
		default:
			if bytes.Equal(old[i].Data, new[j].Data) {
				unchanged++
			} else {
				out = append(out, File{Path: new[j].Path, Change: Changed, Old: old[i].Data, New: new[j].Data})
			}
			i++
			j++
		}
	}
	return out, unchanged
}

// index knows, from both revisions, where each cluster is and which
// bundle each app belongs to; the new revision's word wins.
type index struct {
	old, new *model.Platform
	// envs are the environments in report order: the control planes by
	// name, each one's environments in its order.
	envs []envKey
	// oldClusters and newClusters are the clusters of each revision.
	oldClusters, newClusters map[string]*model.Cluster
}

type envKey struct{ cp, env string }

func newIndex(old, new *model.Platform) *index {
	ix := &index{old: old, new: new, oldClusters: map[string]*model.Cluster{}, newClusters: map[string]*model.Cluster{}}
	for _, p := range []*model.Platform{new, old} {
		if p == nil {
			continue
		}
		for _, cp := range p.ControlPlanes() {
			for _, env := range cp.Environments {
				if k := (envKey{cp.Name, env}); !slices.Contains(ix.envs, k) {
					ix.envs = append(ix.envs, k)
				}
			}
		}
	}
	for p, m := range map[*model.Platform]map[string]*model.Cluster{old: ix.oldClusters, new: ix.newClusters} {
		if p == nil {
			continue
		}
		for _, c := range p.Clusters {
			m[c.Name] = c
		}
	}
	return ix
}

// cluster returns the cluster of that name, from the new revision if it
// has it.
func (ix *index) cluster(name string) *model.Cluster {
	if c, ok := ix.newClusters[name]; ok {
		return c
	}
	return ix.oldClusters[name]
}

// envOf returns where a cluster is: the environment and control plane of
// the new revision, or of the old one for a cluster removed.
func (ix *index) envOf(name string) envKey {
	p, c := ix.new, ix.newClusters[name]
	if c == nil {
		p, c = ix.old, ix.oldClusters[name]
	}
	if c == nil {
		return envKey{}
	}
	return envKey{p.Defaults.ControlPlaneOf(c.Env), c.Env}
}

// bundleOf returns the bundle holding app, in the new revision if it has
// the app.
func (ix *index) bundleOf(app string) string {
	for _, p := range []*model.Platform{ix.new, ix.old} {
		if p == nil {
			continue
		}
		for name, b := range p.Bundles {
			if _, ok := b.Apps[app]; ok {
				return name
			}
		}
	}
	return ""
}

// classify fills in what a file is and what it belongs to, from its path
// as render lays paths out: a path is recognised only if render would make
// that very path from the names it holds.
func (ix *index) classify(f *File) {
	parts := strings.Split(f.Path, "/")
	yamlName := func(i int) string { return strings.TrimSuffix(parts[i], ".yaml") }
	switch {
	case render.IsValues(f.Path):
		f.Kind, f.Cluster, f.App = Values, parts[1], parts[3]
		f.ControlPlane = ix.envOf(f.Cluster).cp
	case len(parts) == 4 && render.ApplicationSetPath(parts[1], yamlName(3)) == f.Path:
		f.Kind, f.ControlPlane, f.App = ApplicationSet, parts[1], yamlName(3)
	case len(parts) == 4 && render.RegistrationPath(parts[1], yamlName(3)) == f.Path:
		f.Kind, f.ControlPlane, f.Cluster = Registration, parts[1], yamlName(3)
	case len(parts) == 3 && render.KustomizationPath(parts[1]) == f.Path:
		f.Kind, f.ControlPlane = Kustomization, parts[1]
	case len(parts) == 3 && render.TanzuPath(parts[1], yamlName(2)) == f.Path:
		f.Kind, f.Cluster = TKC, yamlName(2)
		f.ControlPlane = ix.envOf(f.Cluster).cp
	default:
		f.Kind = Other
	}
}

// move is an Application that appears, changes or disappears.
type move struct {
	controlPlane string
	cluster      string
	app          string // the ApplicationSet's name, which is the app's
	change       Change
}

// applicationChanges generates, for both revisions, the Applications that
// can differ and compares them. An Application is made of one
// ApplicationSet and one registration, so only the control planes with a
// changed file under argocd/ are read, and of those, changed
// ApplicationSets are matched with every cluster and unchanged ones with
// the clusters whose registration changed.
func applicationChanges(old, new Revision, files []File) ([]move, error) {
	changed := map[string]bool{}
	for _, f := range files {
		if f.Kind == ApplicationSet || f.Kind == Registration {
			changed[f.Path] = true
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	before, err := generate(old, changed)
	if err != nil {
		return nil, err
	}
	after, err := generate(new, changed)
	if err != nil {
		return nil, err
	}
	var moves []move
	for key, a := range after {
		b, ok := before[key]
		switch {
		case !ok:
			moves = append(moves, move{key.cp, a.Cluster, a.ApplicationSet, Added})
		case !reflect.DeepEqual(a.Manifest, b.Manifest):
			moves = append(moves, move{key.cp, a.Cluster, a.ApplicationSet, Changed})
		}
	}
	for key, b := range before {
		if _, ok := after[key]; !ok {
			moves = append(moves, move{key.cp, b.Cluster, b.ApplicationSet, Removed})
		}
	}
	slices.SortFunc(moves, func(a, b move) int {
		return cmp.Or(strings.Compare(a.cluster, b.cluster), strings.Compare(a.app, b.app), strings.Compare(a.controlPlane, b.controlPlane))
	})
	return moves, nil
}

type appKey struct{ cp, name string }

// generate returns the Applications of r that changed may have changed,
// by control plane and name.
func generate(r Revision, changed map[string]bool) (map[appKey]preview.Application, error) {
	apps := map[appKey]preview.Application{}
	if r.Platform == nil {
		return apps, nil
	}
	touched := map[string]bool{}
	for p := range changed {
		touched[strings.Split(p, "/")[1]] = true
	}
	var argocd []render.File
	for _, f := range r.Files {
		if parts := strings.Split(f.Path, "/"); parts[0] == render.ArgoCDDir && len(parts) > 2 && touched[parts[1]] {
			argocd = append(argocd, f)
		}
	}
	cps, err := preview.Read(argocd, r.Platform.Defaults.ArgoCD.Namespace)
	if err != nil {
		return nil, fmt.Errorf("%s: reading back the manifests: %w", r.Name, err)
	}
	for _, cp := range cps {
		var setsChanged, setsSame []preview.ApplicationSet
		for _, as := range cp.ApplicationSets {
			if changed[as.Path] {
				setsChanged = append(setsChanged, as)
			} else {
				setsSame = append(setsSame, as)
			}
		}
		var clustersChanged []preview.Cluster
		for _, c := range cp.Clusters {
			if changed[c.Path] {
				clustersChanged = append(clustersChanged, c)
			}
		}
		for _, part := range []*preview.ControlPlane{
			{Name: cp.Name, Clusters: cp.Clusters, ApplicationSets: setsChanged},
			{Name: cp.Name, Clusters: clustersChanged, ApplicationSets: setsSame},
		} {
			generated, err := part.Applications()
			if err != nil {
				return nil, fmt.Errorf("%s: %w", r.Name, err)
			}
			for _, a := range generated {
				apps[appKey{cp.Name, a.Name}] = a
			}
		}
	}
	return apps, nil
}

// environments groups the clusters that change by environment, in report
// order.
func (ix *index) environments(files []File, moves []move) []Environment {
	byName := map[string]*Cluster{}
	get := func(name string) *Cluster {
		c := byName[name]
		if c == nil {
			c = &Cluster{Name: name, Change: Changed, Values: []AppChange{}, Applications: []AppChange{}, LabelsAdded: []string{}, LabelsRemoved: []string{}}
			_, inOld := ix.oldClusters[name]
			_, inNew := ix.newClusters[name]
			switch {
			case !inOld && inNew:
				c.Change = Added
			case inOld && !inNew:
				c.Change = Removed
			}
			byName[name] = c
		}
		return c
	}
	for _, f := range files {
		switch f.Kind {
		case Values:
			c := get(f.Cluster)
			c.Values = append(c.Values, AppChange{f.App, f.Change})
		case Registration:
			get(f.Cluster).Registration = mergeChange(get(f.Cluster).Registration, f.Change)
		case TKC:
			get(f.Cluster).TKC = mergeChange(get(f.Cluster).TKC, f.Change)
		}
	}
	for _, m := range moves {
		c := get(m.cluster)
		c.Applications = append(c.Applications, AppChange{m.app, m.change})
	}
	for name, c := range byName {
		o, n := ix.oldClusters[name], ix.newClusters[name]
		if o == nil || n == nil {
			continue
		}
		if o.Env != n.Env {
			c.From = o.Env
		}
		c.LabelsAdded, c.LabelsRemoved = labelChanges(o.Labels, n.Labels)
	}
	groups := map[envKey][]Cluster{}
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		k := ix.envOf(name)
		groups[k] = append(groups[k], *byName[name])
	}
	out := []Environment{}
	for _, k := range ix.envs {
		if cs := groups[k]; len(cs) > 0 {
			out = append(out, Environment{ControlPlane: k.cp, Env: k.env, Clusters: cs})
			delete(groups, k)
		}
	}
	// Clusters no control plane knew of: not in a checked platform, but
	// reported rather than lost.
	for _, k := range slices.SortedFunc(maps.Keys(groups), func(a, b envKey) int {
		return cmp.Or(strings.Compare(a.cp, b.cp), strings.Compare(a.env, b.env))
	}) {
		out = append(out, Environment{ControlPlane: k.cp, Env: k.env, Clusters: groups[k]})
	}
	return out
}

// mergeChange combines two changes of one thing: a file removed in one
// place and added in another (a cluster whose registration moves to
// another control plane) is changed.
func mergeChange(a, b Change) Change {
	if a == "" || a == b {
		return b
	}
	return Changed
}

// labelChanges returns the labels of new that old lacks, and those of old
// that new lacks, as sorted key=value.
func labelChanges(old, new map[string]string) (added, removed []string) {
	added, removed = []string{}, []string{}
	for _, k := range slices.Sorted(maps.Keys(new)) {
		if v, ok := old[k]; !ok || v != new[k] {
			added = append(added, k+"="+new[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(old)) {
		if v, ok := new[k]; !ok || v != old[k] {
			removed = append(removed, k+"="+old[k])
		}
	}
	return added, removed
}

// apps groups the changes by app.
func (ix *index) apps(files []File, moves []move) []App {
	byName := map[string]*App{}
	get := func(name string) *App {
		a := byName[name]
		if a == nil {
			a = &App{Bundle: ix.bundleOf(name), App: name, Values: newClusters(), Applications: newClusters(), ApplicationSets: []FileRef{}}
			byName[name] = a
		}
		return a
	}
	for _, f := range files {
		switch f.Kind {
		case Values:
			get(f.App).Values.add(f.Change, f.Cluster)
		case ApplicationSet:
			a := get(f.App)
			a.ApplicationSets = append(a.ApplicationSets, FileRef{f.Path, f.Change})
		}
	}
	for _, m := range moves {
		get(m.app).Applications.add(m.change, m.cluster)
	}
	out := []App{}
	for _, a := range byName {
		a.Values.sort()
		a.Applications.sort()
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b App) int {
		return cmp.Or(strings.Compare(a.Bundle, b.Bundle), strings.Compare(a.App, b.App))
	})
	return out
}

func newClusters() Clusters {
	return Clusters{Added: []string{}, Changed: []string{}, Removed: []string{}}
}

func (c *Clusters) add(change Change, cluster string) {
	switch change {
	case Added:
		c.Added = append(c.Added, cluster)
	case Changed:
		c.Changed = append(c.Changed, cluster)
	case Removed:
		c.Removed = append(c.Removed, cluster)
	}
}

func (c *Clusters) sort() {
	for _, s := range []*[]string{&c.Added, &c.Changed, &c.Removed} {
		*s = append([]string{}, slices.Compact(slices.Sorted(slices.Values(*s)))...)
	}
}

// appSets lists the ApplicationSet files that change, with the clusters
// whose Application they generate moves.
func (ix *index) appSets(files []File, moves []move) []AppSet {
	out := []AppSet{}
	for _, f := range files {
		if f.Kind != ApplicationSet {
			continue
		}
		as := AppSet{Path: f.Path, Change: f.Change, ControlPlane: f.ControlPlane, App: f.App, Bundle: ix.bundleOf(f.App), Applications: newClusters()}
		for _, m := range moves {
			if m.controlPlane == f.ControlPlane && m.app == f.App {
				as.Applications.add(m.change, m.cluster)
			}
		}
		as.Applications.sort()
		out = append(out, as)
	}
	return out
}
