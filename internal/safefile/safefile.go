// Package safefile reads a file that must be a regular file, as platformc
// reads what others may have put in its place (the build cache, the
// output directory and its index): a symlink is not followed, a FIFO or a
// device is refused without blocking on it, and a file larger than the
// caller allows is refused rather than read.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrNotRegular is returned for anything but a regular file.
var ErrNotRegular = errors.New("not a regular file")

// Read reads the regular file name, of at most maxSize bytes (no bound if
// maxSize < 0), and returns its content and what fstat said of it when it
// was opened. O_NOFOLLOW refuses a symlink at name; O_NONBLOCK makes
// opening a FIFO return at once, for the check to refuse it.
func Read(name string, maxSize int64) ([]byte, os.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, &os.PathError{Op: "read", Path: name, Err: ErrNotRegular}
	}
	var r io.Reader = f
	if maxSize >= 0 {
		if fi.Size() > maxSize {
			return nil, nil, &os.PathError{Op: "read", Path: name, Err: fmt.Errorf("larger than %d bytes", maxSize)}
		}
		r = io.LimitReader(f, maxSize+1)
	}
	data, err := ReadAll(r, fi.Size())
	if err != nil {
		return nil, nil, err
	}
	if maxSize >= 0 && int64(len(data)) > maxSize {
		return nil, nil, &os.PathError{Op: "read", Path: name, Err: fmt.Errorf("grew past %d bytes while read", maxSize)}
	}
	return data, fi, nil
}

// ReadAll reads r to its end into a buffer sized for the size fstat
// gave, one byte more to see the end without growing it: io.ReadAll
// starts at 512 bytes and doubles, which clears and copies a cache entry
// or an index several times over. A file that grew is read on.
func ReadAll(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > 1<<30 {
		size = 0
	}
	data := make([]byte, 0, size+1)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
	}
}
