package load

import (
	"context"
	"fmt"

	"cuelang.org/go/mod/modfile"
	"cuelang.org/go/mod/module"
)

// offline is the CUE module registry platformc loads with: it has no
// modules. cue/load would otherwise fetch the dependencies declared in
// cue.mod/module.cue from $CUE_REGISTRY over the network, and platformc,
// which runs in CI with write access to what ArgoCD deploys, never uses
// the network: what it evaluates is what is in the repository.
type offline struct{}

func (offline) ModFile(_ context.Context, mv module.Version) (*modfile.File, error) {
	return nil, notFetched(mv.String())
}

func (offline) Fetch(_ context.Context, mv module.Version) (module.SourceLoc, error) {
	return module.SourceLoc{}, notFetched(mv.String())
}

func (offline) ModuleVersions(_ context.Context, mpath string) ([]string, error) {
	return nil, notFetched(mpath)
}

func notFetched(module string) error {
	return fmt.Errorf("platformc does not download CUE modules (it never uses the network): %s is not in the repository; put its packages under cue.mod/pkg/ instead of declaring it in deps", module)
}
