// Command benchgen writes the synthetic workload of the performance
// baseline (../shared/baseline/gen.py) as a platformc CUE module: the same
// clusters, environments, bundles, apps and values, so that the templater
// and platformc do identical work.
//
//	go run ./internal/benchgen -n 1000 -o DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/platformc/platformc/internal/benchgen/workload"
)

func main() {
	n := flag.Int("n", 30, "number of clusters")
	out := flag.String("o", "", "directory to write the CUE module into (must not exist or be empty)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 || *n < 1 {
		fmt.Fprintln(os.Stderr, "usage: benchgen -n N -o DIR")
		os.Exit(2)
	}
	if err := workload.Write(*out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}
