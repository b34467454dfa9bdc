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

// Values renders the Helm values of every enabled app of every cluster.
func Values(p *model.Platform) ([]File, error) {
	var files []File
	for _, c := range p.Clusters {
		for _, a := range p.Apps(c) {
			p := ValuesPath(c.Name, a)
			data, err := document(c.Values[a.Name])
			if err != nil {
				return nil, renderError(p, err)
			}
			files = append(files, File{Path: p, Data: data})
		}
	}
	return files, nil
}
