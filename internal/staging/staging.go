// Package staging makes work folders for imports: a folder is filled
// aside and its contents moved into place only when all of it checks out.
// A folder is held by a lock for the life of its process, so that the next
// run can tell a folder left by a killed import from one in use and remove
// the first kind only.
package staging

import (
	"context"
	"errors"
	"fmt"
	"github.com/vlab-dev/vlab/internal/lock"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Dir is one staging folder, held until Close.
type Dir struct {
	Path string
	lock *lock.File
	file string // the lock's path
}

// New removes the folders under parent named prefix* that no live process
// holds (left by an import that was killed or crashed), then makes and
// holds a new one.
func New(parent, prefix string) (*Dir, error) {
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("staging folder: %w", err)
	}
	if err := Clean(parent, prefix); err != nil {
		return nil, err
	}
	// The lock comes first, so that a folder is never seen without it.
	f, err := os.CreateTemp(parent, prefix+"*.lock")
	if err != nil {
		return nil, fmt.Errorf("staging folder: %w", err)
	}
	f.Close()
	p := strings.TrimSuffix(f.Name(), ".lock")
	l, err := lock.Acquire(context.Background(), f.Name(), lock.Options{NoCreate: true})
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("lock staging folder %s: %w", p, err)
	}
	if err := os.Mkdir(p, 0o700); err != nil {
		l.Unlock()
		os.Remove(f.Name())
		return nil, fmt.Errorf("staging folder: %w", err)
	}
	return &Dir{Path: p, lock: l, file: f.Name()}, nil
}

// Close removes the folder with whatever is left in it, and its lock.
func (d *Dir) Close() error {
	err := os.RemoveAll(d.Path)
	os.Remove(d.file)
	d.lock.Unlock()
	return err
}

// Clean removes the staging folders under parent named prefix* whose lock
// no process holds. A missing parent is not an error.
func Clean(parent, prefix string) error {
	ents, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("staging folder: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		p := filepath.Join(parent, strings.TrimSuffix(name, ".lock"))
		if held(p + ".lock") {
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove stale staging folder: %w", err)
		}
		os.Remove(p + ".lock")
	}
	return nil
}

// held reports whether a live process holds the lock file at p.
func held(p string) bool {
	l, err := lock.Acquire(context.Background(), p, lock.Options{NoCreate: true})
	if err != nil {
		// Busy: held. Gone: its process never took it or is gone.
		return errors.Is(err, lock.ErrBusy)
	}
	l.Unlock()
	return false
}

// Copy is io.Copy that stops when ctx is done, checked between blocks, so
// that Ctrl-C cancels a copy of a disk image.
func Copy(ctx context.Context, w io.Writer, r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		k, rerr := r.Read(buf)
		if k > 0 {
			m, werr := w.Write(buf[:k])
			n += int64(m)
			if werr != nil {
				return n, werr
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}
