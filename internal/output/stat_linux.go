package output

import (
	"io/fs"
	"syscall"
)

// statOf is what the index records of fi, from lstat(2).
func statOf(fi fs.FileInfo) (stat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return stat{}, false
	}
	return stat{
		dev: uint64(st.Dev), ino: st.Ino, mode: uint32(st.Mode), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
	}, true
}

// lstat is statOf(os.Lstat(name)) without the FileInfo: the index's
// fast path takes tens of thousands of them.
func lstat(name string) (stat, bool, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Lstat(name, &st)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return stat{}, false, err
		}
		break
	}
	return stat{
		dev: uint64(st.Dev), ino: st.Ino, mode: uint32(st.Mode), size: st.Size,
		mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano(),
	}, true, nil
}
