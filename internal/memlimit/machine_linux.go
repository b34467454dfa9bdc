package memlimit

import "syscall"

// machineMemory is the machine's memory, from sysinfo(2); 0 if it cannot
// be read.
func machineMemory() uint64 {
	var info syscall.Sysinfo_t
	if syscall.Sysinfo(&info) != nil {
		return 0
	}
	return uint64(info.Totalram) * uint64(info.Unit)
}
