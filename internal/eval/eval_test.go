package eval

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/platformc/platformc/internal/load"
)

// TestProgress: the reference platform's three clusters, in three
// directories evaluated by two workers, are counted one call at a time up
// to the total.
func TestProgress(t *testing.T) {
	lp, err := load.Selected(load.Config{Dir: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	var calls [][2]int
	p, err := Platform(context.Background(), lp, Options{Workers: 2, Progress: func(done, total int) {
		calls = append(calls, [2]int{done, total}) // not locked: calls never overlap
	}})
	if err != nil {
		t.Fatal(err)
	}
	withClusters := 0
	for _, d := range lp.Clusters {
		if len(d.Declared) > 0 {
			withClusters++
		}
	}
	if len(calls) != withClusters {
		t.Fatalf("%d calls for %d directories with clusters: %v", len(calls), withClusters, calls)
	}
	for i, c := range calls {
		if c[1] != len(p.Clusters) || c[0] != i+1 {
			t.Errorf("call %d: %d/%d, want %d/%d", i, c[0], c[1], i+1, len(p.Clusters))
		}
	}
}

// TestCancelledIsNotATimeout: evaluation stopped by a cancelled context
// (SIGINT, SIGTERM, SIGHUP) returns context.Canceled, which the command
// reports as an interruption, not as a --timeout that passed.
func TestCancelledIsNotATimeout(t *testing.T) {
	lp, err := load.Selected(load.Config{Dir: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, run := range map[string]func() error{
		"Defaults": func() error { _, err := Defaults(ctx, lp); return err },
		"Platform": func() error { _, err := Platform(ctx, lp, Options{}); return err },
	} {
		err := run()
		var terr *TimeoutError
		if !errors.Is(err, context.Canceled) || errors.As(err, &terr) {
			t.Errorf("%s with a cancelled context: %v (%T); want context.Canceled", name, err, err)
		}
	}
}

// TestClustersFromBatches: directories sent one batch at a time come back
// in the order sent, each told done once, as when sent at once.
func TestClustersFromBatches(t *testing.T) {
	lp, err := load.Selected(load.Config{Dir: "../.."})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := Clusters(context.Background(), lp.Clusters, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	batches := make(chan []*load.ClusterDir)
	go func() {
		defer close(batches)
		for _, d := range lp.Clusters {
			batches <- []*load.ClusterDir{d}
		}
	}()
	dones := map[int]int{}
	got, err := ClustersFrom(context.Background(), batches, Options{Workers: 2, Done: func(i int, r *DirResult, last bool) {
		if !last {
			t.Errorf("directory %d: not last, but each declares at most one cluster", i)
		}
		dones[i]++ // not locked: calls never overlap
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(whole) || len(got) != len(lp.Clusters) {
		t.Fatalf("%d results from batches, %d at once, for %d directories", len(got), len(whole), len(lp.Clusters))
	}
	for i := range got {
		if dones[i] != 1 {
			t.Errorf("directory %d told done %d times", i, dones[i])
		}
		if names(got[i]) != names(whole[i]) {
			t.Errorf("directory %d: %s from batches, %s at once", i, names(got[i]), names(whole[i]))
		}
	}
}

func names(r DirResult) string {
	var s []string
	for _, c := range r.Clusters {
		s = append(s, c.Name)
	}
	return fmt.Sprint(s, r.Err)
}
