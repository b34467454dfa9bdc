package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, fi, err := Read(file, 4); err != nil || string(data) != "data" || fi.Size() != 4 {
		t.Errorf("Read(file, 4) = %q, %v, %v", data, fi, err)
	}
	if data, _, err := Read(file, -1); err != nil || string(data) != "data" {
		t.Errorf("Read(file, -1) = %q, %v", data, err)
	}
	if _, _, err := Read(file, 3); err == nil {
		t.Error("a file over the bound was read")
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Read(link, -1); err == nil {
		t.Error("a symlink was followed")
	}
	if _, _, err := Read(dir, -1); !errors.Is(err, ErrNotRegular) {
		t.Errorf("a directory: %v, want ErrNotRegular", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := Read(fifo, -1); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, ErrNotRegular) {
			t.Errorf("a FIFO: %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}
	if _, _, err := Read(filepath.Join(dir, "missing"), -1); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file: %v, want ErrNotExist", err)
	}
}

// TestReadAllAnySize: the buffer sized from fstat is a guess; a file that
// grew or shrank since, or a reader giving a byte at a time, still reads
// whole.
func TestReadAllAnySize(t *testing.T) {
	want := strings.Repeat("0123456789", 1000)
	for _, size := range []int64{-1, 0, 1, 9999, 10000, 10001, 1 << 40} {
		for _, r := range []io.Reader{strings.NewReader(want), iotest.OneByteReader(strings.NewReader(want)), iotest.HalfReader(strings.NewReader(want))} {
			got, err := ReadAll(r, size)
			if err != nil || string(got) != want {
				t.Errorf("ReadAll(size %d) = %d bytes, %v; want %d bytes", size, len(got), err, len(want))
			}
		}
	}
	if _, err := ReadAll(iotest.ErrReader(errors.New("boom")), 10); err == nil {
		t.Error("a read error was lost")
	}
}
