// Command benchgen writes the synthetic workload of the performance
// baseline (../shared/baseline/gen.py) as a platformc CUE module: the same
// clusters, environments, bundles, apps and values, so that the templater
// and platformc do identical work.
//
//	go run ./internal/benchgen -n 1000 -o DIR
//	go run ./internal/benchgen -n 1000 -fleet -o DIR   # gen.py --fleet: settings shared by environment and region
//	go run ./internal/benchgen -edit bundle -o DIR   # one value of one app of one bundle, changed again
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/platformc/platformc/internal/benchgen/workload"
)

func main() {
	n := flag.Int("n", 30, "number of clusters")
	out := flag.String("o", "", "directory to write the CUE module into (must not exist or be empty), or of the module to edit")
	fleet := flag.Bool("fleet", false, "write gen.py --fleet's shared-settings workload: apps' parameters per environment, the registry per region, the cluster's name read by three apps")
	edit := flag.String("edit", "", `"bundle": change one value of velero's in bundle storage-basic of the module at -o, which about half the clusters enable`)
	flag.Parse()
	if *out == "" || flag.NArg() > 0 || *n < 1 || (*edit != "" && *edit != "bundle") {
		fmt.Fprintln(os.Stderr, "usage: benchgen -n N [-fleet] -o DIR | benchgen -edit bundle -o DIR")
		os.Exit(2)
	}
	write := func() error { return workload.Write(*out, *n) }
	if *fleet {
		write = func() error { return workload.WriteFleet(*out, *n) }
	}
	if *edit == "bundle" {
		write = func() error { return workload.EditBundle(*out) }
	}
	if err := write(); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}
