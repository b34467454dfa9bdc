// Command platformc compiles a Kubernetes platform written in CUE into
// per-cluster Helm values, ArgoCD and Tanzu manifests.
package main

import (
	"os"

	"github.com/platformc/platformc/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
