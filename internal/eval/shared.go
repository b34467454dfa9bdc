package eval

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/format"

	"github.com/platformc/platformc/internal/load"
)

// Shared evaluates the values of an app once per distinct input rather
// than once per cluster, for the apps whose values read of their cluster
// only fields that many clusters share (load.ViewReads): their
// environment, settings. A cluster directory lists such apps in
// load.ClusterDir.Shared; its wiring leaves them out, and once its
// clusters are evaluated, each of their values is looked up by what it
// reads of the cluster's #view, or evaluated as the wiring would —
// package bundles with #cluster unified with the cluster's #view, in the
// cluster's context — and kept for the next cluster that reads the same.
// The values are shared between the clusters' models, to be read only.
//
// Any error evaluating shared values is the build's signal to evaluate
// again without sharing (Used), which reports it where it is.
type Shared struct {
	reads map[string][]load.ViewPath

	mu     sync.Mutex
	values map[string]map[string]any
	// kept holds the maps of values, by identity (Has).
	kept map[unsafe.Pointer]bool

	used, served atomic.Int64
	// byApp counts, for each app, the directories that share its values
	// (Worth) and the values served and evaluated.
	byApp map[string]*appCount
}

type appCount struct{ marked, served, evaluated atomic.Int64 }

// SharedTrial is how many cluster directories share an app's values
// before sharing them must pay: see Worth.
var SharedTrial int64 = 32

// NewShared shares the values of the apps reads lists (load.ViewReads),
// except those that read the whole view, the cluster's name or its
// namespace: they differ on every cluster.
func NewShared(reads map[string][]load.ViewPath) *Shared {
	s := &Shared{reads: map[string][]load.ViewPath{}, values: map[string]map[string]any{}, kept: map[unsafe.Pointer]bool{}}
	s.byApp = map[string]*appCount{}
	for app, paths := range reads {
		if !slices.ContainsFunc(paths, perCluster) {
			s.reads[app] = paths
			s.byApp[app] = &appCount{}
		}
	}
	return s
}

// Worth says whether a directory should share app's values (and, if so,
// counts it): yes for the first SharedTrial directories, then only while
// the values have been served at least as often as evaluated. Each
// evaluation costs one of package bundles besides the cluster's, and the
// values are kept: an app that reads a setting every cluster sets its own
// way is evaluated in each cluster again once the trial shows it. The
// directories are loaded ahead of their evaluation; until some shared
// values are evaluated, past the trial, nothing shows that sharing pays.
func (s *Shared) Worth(app string) bool {
	c, ok := s.byApp[app]
	if !ok {
		return false
	}
	n := c.evaluated.Load()
	if c.marked.Load() >= SharedTrial && (n == 0 || c.served.Load() < n) {
		return false
	}
	c.marked.Add(1)
	return true
}

// perCluster says that p reads what differs on every cluster.
func perCluster(p load.ViewPath) bool {
	return len(p) == 0 || p[0] == "name" || p[0] == "vsphereNamespace"
}

// Apps are the apps whose values are shared, sorted.
func (s *Shared) Apps() []string { return slices.Sorted(maps.Keys(s.reads)) }

// Used says that some cluster had shared values (or tried to).
func (s *Shared) Used() bool { return s != nil && s.used.Load() > 0 }

// Served is how many apps' values were taken from another cluster's.
func (s *Shared) Served() int { return int(s.served.Load()) }

// Has says whether m is a map of values Shared gives to clusters that
// read the same: the same map for each.
func (s *Shared) Has(m map[string]any) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kept[reflect.ValueOf(m).UnsafePointer()]
}

var (
	appsPath = cue.MakePath(cue.Def("#apps"))
	viewPath = cue.MakePath(cue.Def("#view"))
)

// fill sets, in values, those of the apps of shared that the cluster cv
// runs: evaluated for another cluster that reads the same, or now, with
// bundles, package bundles.
func (s *Shared) fill(cv cue.Value, values map[string]map[string]any, shared map[string]bool, bundles *build.Instance) error {
	s.used.Add(1)
	var apps map[string]string // app: its bundle
	if err := cv.LookupPath(appsPath).Decode(&apps); err != nil {
		return err
	}
	view := cv.LookupPath(viewPath)
	if err := view.Validate(cue.Concrete(true)); err != nil {
		return err
	}
	read := map[string]string{} // each path's value, as CUE
	keys := map[string]string{}
	var missing []string
	for _, app := range slices.Sorted(maps.Keys(apps)) {
		if !shared[app] {
			continue
		}
		paths, ok := s.reads[app]
		if !ok {
			return fmt.Errorf("app %q is not shared", app)
		}
		var k strings.Builder
		fmt.Fprintf(&k, "%s\x00%s", app, apps[app])
		for _, p := range paths {
			ps := p.String()
			v, ok := read[ps]
			if !ok {
				v = syntaxAt(view, p)
				read[ps] = v
			}
			fmt.Fprintf(&k, "\x00%s\x00%s", ps, v)
		}
		keys[app] = k.String()
		s.mu.Lock()
		vals, ok := s.values[keys[app]]
		s.mu.Unlock()
		if ok {
			values[app] = vals
			s.served.Add(1)
			s.byApp[app].served.Add(1)
			continue
		}
		missing = append(missing, app)
	}
	if len(missing) == 0 {
		return nil
	}
	evaluated, err := valuesFor(view, bundles, apps, missing)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, app := range missing {
		if vals, ok := s.values[keys[app]]; ok {
			values[app] = vals // another cluster's, evaluated meanwhile
			continue
		}
		s.values[keys[app]] = evaluated[app]
		s.kept[reflect.ValueOf(evaluated[app]).UnsafePointer()] = true
		values[app] = evaluated[app]
		s.byApp[app].evaluated.Add(1)
	}
	return nil
}

// syntaxAt is the value of the view at p as CUE, or "absent": not only
// its concrete value but how it is made, defaults, disjunctions and
// closedness included (the syntax of an unfinished export), so that two
// clusters get the same key only if what their values read behaves the
// same, even where a disjunction or a closed struct would make a
// difference.
func syntaxAt(view cue.Value, p load.ViewPath) string {
	sels := make([]cue.Selector, len(p))
	for i, name := range p {
		if strings.HasPrefix(name, "#") {
			sels[i] = cue.Def(name)
		} else {
			sels[i] = cue.Str(name)
		}
	}
	v := view.LookupPath(cue.MakePath(sels...))
	if !v.Exists() {
		return "absent"
	}
	src, err := format.Node(v.Syntax())
	if err != nil {
		return "unprintable " + err.Error() // no two alike: evaluated
	}
	return string(src)
}

// valuesFor evaluates the values of missing (apps, by bundle) as the
// wiring does for the cluster whose #view is view, in the cluster's own
// context: package bundles, with #cluster unified with the view itself.
func valuesFor(view cue.Value, bundles *build.Instance, apps map[string]string, missing []string) (map[string]map[string]any, error) {
	if bundles == nil {
		return nil, errors.New("package bundles is not among the cluster's imports")
	}
	v := view.Context().BuildInstance(bundles)
	if err := v.Err(); err != nil {
		return nil, err
	}
	v = v.FillPath(cue.MakePath(cue.Def("#cluster")), view)
	out := map[string]map[string]any{}
	for _, app := range missing {
		av := v.LookupPath(cue.MakePath(cue.Str("bundles"), cue.Str(apps[app]), cue.Str("apps"), cue.Str(app), cue.Str("values")))
		if !av.Exists() {
			return nil, fmt.Errorf("app %q has no values in bundle %q", app, apps[app])
		}
		// As evalCluster validates and decodes them.
		if err := av.Validate(cue.Concrete(true), cue.Hidden(true)); err != nil {
			return nil, err
		}
		var values map[string]any
		if err := av.Decode(&values); err != nil {
			return nil, err
		}
		if tooDeep(values, nil) != nil {
			return nil, errors.New("values too deep")
		}
		out[app] = values
	}
	return out, nil
}

// bundlesOf finds package bundles among the imports of a cluster
// directory's instance.
func bundlesOf(inst *build.Instance) *build.Instance {
	for _, imp := range inst.Imports {
		if imp.Dir == filepath.Join(inst.Root, load.BundlesDir) {
			return imp
		}
	}
	return nil
}
