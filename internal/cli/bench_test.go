package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/platformc/platformc/internal/benchgen/workload"
)

// BenchmarkBuild builds the baseline's synthetic workload (see
// internal/benchgen) with everything a build does: evaluation, checks,
// rendering, and writing into an output directory. cold starts from an
// empty cache and output; warm rebuilds with nothing changed.
//
//	go test ./internal/cli -run '^$' -bench Build -benchtime 1x
func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{30, 300, 1000} {
		mod := filepath.Join(b.TempDir(), "platform")
		if err := workload.Write(mod, n); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("clusters=%d/cold", n), func(b *testing.B) {
			var files int
			for b.Loop() {
				b.StopTimer()
				work := b.TempDir()
				b.StartTimer()
				files = build(b, mod, work)
			}
			b.ReportMetric(float64(files), "files/op")
		})
		b.Run(fmt.Sprintf("clusters=%d/warm", n), func(b *testing.B) {
			work := b.TempDir()
			files := build(b, mod, work)
			for b.Loop() {
				build(b, mod, work)
			}
			b.ReportMetric(float64(files), "files/op")
		})
	}
}

// build runs platformc build in dir, with its cache and output in work,
// and returns the number of files written.
func build(b *testing.B, dir, work string) int {
	b.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		b.Fatal(err)
	}
	defer os.Chdir(wd)
	out := filepath.Join(work, "out")
	code := Run(context.Background(), []string{"build", "-q", "--cache-dir", filepath.Join(work, "cache"), "-o", out}, io.Discard, io.Discard)
	if code != 0 {
		b.Fatalf("build exited %d", code)
	}
	n := 0
	filepath.WalkDir(out, func(_ string, d os.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// BenchmarkVetOneCluster vets one cluster of a 1000-cluster platform
// without the cache: what pre-commit does after editing a cluster.
func BenchmarkVetOneCluster(b *testing.B) {
	mod := filepath.Join(b.TempDir(), "platform")
	if err := workload.Write(mod, 1000); err != nil {
		b.Fatal(err)
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(mod); err != nil {
		b.Fatal(err)
	}
	defer os.Chdir(wd)
	target := "./" + filepath.ToSlash(workload.ClusterDir(7))
	for b.Loop() {
		if code := Run(context.Background(), []string{"vet", "-q", "--no-cache", target}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("vet exited %d", code)
		}
	}
}
