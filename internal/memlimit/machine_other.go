//go:build !linux

package memlimit

// machineMemory is 0 where platformc does not read the machine's memory:
// a run has no default limit there (--max-memory sets one).
func machineMemory() uint64 { return 0 }
