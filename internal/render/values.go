package render

import (
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/platformc/platformc/internal/model"
)

// ValuesPath is where an app's per-cluster values live in the values repo,
// the second value file of its Application.
func ValuesPath(cluster string, a *model.App) string {
	return path.Join("cluster", cluster, a.Category, a.Name, "values.yaml")
}

// ValuesPathPattern is the shape of ValuesPath, for messages.
const ValuesPathPattern = "cluster/<cluster>/<category>/<app>/values.yaml"

// ValuesApp returns "<category>/<app>" if p is the path of a values file,
// as ValuesPath makes them: the values files of one app on every cluster
// share their shape.
func ValuesApp(p string) (string, bool) {
	parts := strings.Split(p, "/")
	if len(parts) != 5 || parts[0] != "cluster" || parts[4] != "values.yaml" {
		return "", false
	}
	return parts[2] + "/" + parts[3], true
}

// IsValues reports whether p is the path of a values file, or of the
// ConfigMap holding the same bytes for the Sveltos engine: the files that
// may hold the secrets the values read.
func IsValues(p string) bool {
	_, file := ValuesApp(p)
	_, configMap := SveltosValuesApp(p)
	return file || configMap
}

// Values renders the Helm values of every enabled app of a cluster.
func Values(p *model.Platform, c *model.Cluster) ([]File, error) {
	return values(p, c, nil)
}

func values(p *model.Platform, c *model.Cluster, docs *Documents) ([]File, error) {
	var files []File
	for _, a := range p.Apps(c) {
		f, err := appValues(c, a, docs)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// AppValues renders the values file of one app of a cluster, as Values
// does.
func AppValues(c *model.Cluster, a *model.App) (File, error) {
	return appValues(c, a, nil)
}

// AppValuesWith is AppValues, taking the document of a shared map from
// docs.
func AppValuesWith(c *model.Cluster, a *model.App, docs *Documents) (File, error) {
	return appValues(c, a, docs)
}

func appValues(c *model.Cluster, a *model.App, docs *Documents) (File, error) {
	if err := pathNames(pathName{"cluster name", c.Name}, pathName{"app category", a.Category}, pathName{"app name", a.Name}); err != nil {
		return File{}, err
	}
	p := ValuesPath(c.Name, a)
	data, err := docs.document(c.Values[a.Name])
	if err != nil {
		return File{}, renderError(p, err)
	}
	return File{Path: p, Data: data}, nil
}

// Documents encodes each of the values maps that several clusters share
// (the same map, eval.Shared) once: the bytes depend on the data alone.
// shared says which maps are; others are encoded each time, and not kept.
// Safe for concurrent use; a nil *Documents keeps nothing.
type Documents struct {
	shared func(map[string]any) bool
	mu     sync.Mutex
	docs   map[unsafe.Pointer][]byte
}

// NewDocuments keeps the documents of the maps shared says are shared.
func NewDocuments(shared func(map[string]any) bool) *Documents {
	return &Documents{shared: shared, docs: map[unsafe.Pointer][]byte{}}
}

func (d *Documents) document(v map[string]any) ([]byte, error) {
	if d == nil || v == nil || !d.shared(v) {
		return document(v)
	}
	k := reflect.ValueOf(v).UnsafePointer()
	d.mu.Lock()
	data, ok := d.docs[k]
	d.mu.Unlock()
	if ok {
		return data, nil
	}
	data, err := document(v)
	if err != nil {
		return nil, err
	}
	data = slices.Clip(data) // shared by files: an append copies
	d.mu.Lock()
	d.docs[k] = data
	d.mu.Unlock()
	return data, nil
}
