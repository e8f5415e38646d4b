// Package atomicfile writes files so that a crash leaves either the old
// content or the new one, never a mix: state, manifests, tags, bundles and
// boxes go through it.
package atomicfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/vlab-dev/vlab/internal/staging"
)

// Write replaces path with data: a temporary file in the same folder,
// synced, renamed over path, and the folder synced.
func Write(path string, data []byte, mode os.FileMode) error {
	return WriteFrom(path, bytes.NewReader(data), mode)
}

// WriteFrom is Write with the content read from r, for large files.
func WriteFrom(path string, r io.Reader, mode os.FileMode) error {
	f, err := Create(path, mode)
	if err != nil {
		return err
	}
	defer f.Discard()
	if _, err := io.Copy(f, r); err != nil {
		return err
	}
	return f.Commit()
}

// Copy replaces dst with a copy of the file src, atomically, with mode.
// Cancelling ctx stops the copy and leaves dst as it was.
func Copy(ctx context.Context, src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := Create(dst, mode)
	if err != nil {
		return err
	}
	defer f.Discard()
	if _, err := staging.Copy(ctx, f, in); err != nil {
		return err
	}
	return f.Commit()
}

// File is the next content of a path, written to a temporary file beside
// it, for writers that need a file rather than a reader (a tar, a gzip
// stream). Commit puts it in place; Discard, which a deferred call may
// run after Commit, removes it and leaves the path as it was.
type File struct {
	*os.File
	path string
	mode os.FileMode
	done bool
}

// Create starts the next content of path, which gets mode on Commit.
func Create(path string, mode os.FileMode) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, err
	}
	return &File{File: tmp, path: path, mode: mode}, nil
}

// Commit syncs the file, renames it over the path and syncs the folder.
// On failure the path is left as it was and the file removed.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: " + f.path + " already committed or discarded")
	}
	f.done = true
	err := f.Chmod(f.mode)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(f.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Discard closes and removes the file unless it was committed.
func (f *File) Discard() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}
