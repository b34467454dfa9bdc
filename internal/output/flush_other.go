//go:build !linux

package output

import (
	"errors"
	"io/fs"
)

// syncEachFile says whether each staged file must be flushed on its own:
// without syncfs(2), it must.
const syncEachFile = true

// flush makes the entries of dirs durable, one fsync(2) each; their files
// were flushed as they were written.
func flush(root string, dirs []string) error {
	return parallel(len(dirs), func(i int) error {
		if err := syncDir(dirs[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}
