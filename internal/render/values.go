package render

import (
	"path"

	"github.com/platformc/platformc/internal/model"
)

// ValuesPath is where an app's per-cluster values live in the values repo,
// the second value file of its Application.
func ValuesPath(cluster string, a *model.App) string {
	return path.Join("cluster", cluster, a.Category, a.Name, "values.yaml")
}

// Values renders the Helm values of every enabled app of a cluster.
func Values(p *model.Platform, c *model.Cluster) ([]File, error) {
	var files []File
	for _, a := range p.Apps(c) {
		f, err := AppValues(c, a)
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
	if err := pathNames(pathName{"cluster name", c.Name}, pathName{"app category", a.Category}, pathName{"app name", a.Name}); err != nil {
		return File{}, err
	}
	p := ValuesPath(c.Name, a)
	data, err := document(c.Values[a.Name])
	if err != nil {
		return File{}, renderError(p, err)
	}
	return File{Path: p, Data: data}, nil
}
