package cli

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// profileFlags are the hidden --cpuprofile and --memprofile flags, for
// finding where a slow build spends its time.
type profileFlags struct {
	cpu, mem string
	cpuFile  *os.File
}

func registerProfileFlags(root *cobra.Command) *profileFlags {
	p := &profileFlags{}
	root.PersistentFlags().StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile to `file`")
	root.PersistentFlags().StringVar(&p.mem, "memprofile", "", "write a heap profile to `file` at exit")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	_ = root.PersistentFlags().MarkHidden("memprofile")
	return p
}

func (p *profileFlags) start() error {
	if p.cpu == "" {
		return nil
	}
	f, err := os.Create(p.cpu)
	if err != nil {
		return usageErr(fmt.Errorf("--cpuprofile: %w", err))
	}
	p.cpuFile = f
	return pprof.StartCPUProfile(f)
}

func (p *profileFlags) stop() error {
	if p.cpuFile != nil {
		pprof.StopCPUProfile()
		if err := p.cpuFile.Close(); err != nil {
			return err
		}
	}
	if p.mem != "" {
		f, err := os.Create(p.mem)
		if err != nil {
			return err
		}
		defer f.Close()
		runtime.GC()
		return pprof.WriteHeapProfile(f)
	}
	return nil
}
