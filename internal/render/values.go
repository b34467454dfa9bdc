package render

import (
	"errors"
	"path"
	"slices"

	"github.com/platformc/platformc/internal/model"
)

// ValuesPath is where an app's per-cluster values live in the values repo,
// the second value file of its Application.
func ValuesPath(cluster string, a *model.App) string {
	return path.Join("cluster", cluster, a.Category, a.Name, "values.yaml")
}

// Values renders the Helm values of every enabled app of every cluster.
// Clusters are encoded in parallel; the result is in cluster order.
func Values(p *model.Platform) ([]File, error) {
	perCluster := make([][]File, len(p.Clusters))
	errs := make([]error, len(p.Clusters))
	parallel(len(p.Clusters), func(i int) {
		c := p.Clusters[i]
		for _, a := range p.Apps(c) {
			f, err := AppValues(c, a)
			if err != nil {
				errs[i] = err
				return
			}
			perCluster[i] = append(perCluster[i], f)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return slices.Concat(perCluster...), nil
}

// AppValues renders the values file of one app of a cluster, as Values
// does.
func AppValues(c *model.Cluster, a *model.App) (File, error) {
	p := ValuesPath(c.Name, a)
	data, err := document(c.Values[a.Name])
	if err != nil {
		return File{}, renderError(p, err)
	}
	return File{Path: p, Data: data}, nil
}
