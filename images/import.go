package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/vlab-dev/vlab/internal/staging"
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// ValidName reports whether s can name an image.
func ValidName(s string) bool { return namePattern.MatchString(s) }

// Files are the files of an image to import. Disk is required; Kernel and
// Initrd go together; Status (a dpkg status file) lets pinned packages be
// resolved against the image.
type Files struct {
	Disk, Kernel, Initrd, Status string
	// KernelRelease is recorded in the manifest when known.
	KernelRelease string
	// Move takes the files instead of copying them, when the store is on
	// the same filesystem: a bundle import moves what it staged.
	Move bool
}

// Import adds an image made elsewhere to the store under name. It is kept
// apart from built images (an imported image never stands for a recipe in
// Build), its digest is its disk's sha256, and its disk must be a
// standalone qcow2 (see CheckDisk). ctx cancels the copy.
func (s *Store) Import(ctx context.Context, name string, f Files) (*Image, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("image name %q: use a-z, 0-9, '.', '_' and '-'", name)
	}
	if (f.Kernel == "") != (f.Initrd == "") {
		return nil, fmt.Errorf("import %s: give both --kernel and --initrd, or neither", name)
	}
	if err := qcow2Magic(f.Disk); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.Dir, err)
	}
	tmp, err := staging.New(s.Dir, ".import-")
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.Dir, err)
	}
	defer tmp.Close()
	digest, err := s.stage(ctx, tmp.Path, f)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	// The check runs on the copy: the source may change after it is read.
	if _, err := CheckDisk(ctx, filepath.Join(tmp.Path, DiskFile)); err != nil {
		return nil, fmt.Errorf("import %s: %w", name, err)
	}
	st, err := os.Stat(filepath.Join(tmp.Path, DiskFile))
	if err != nil {
		return nil, err
	}
	m := &Manifest{Name: name, Digest: digest, Source: SourceImport, Built: time.Now().UTC(), Size: st.Size(), Kernel: f.KernelRelease}
	if f.Status != "" {
		status, err := os.ReadFile(filepath.Join(tmp.Path, StatusFile))
		if err != nil {
			return nil, err
		}
		m.Packages = InstalledPackages(status)
	}
	if err := writeManifest(tmp.Path, m); err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp.Path, 0o755); err != nil {
		return nil, err
	}
	folder := importedPrefix + digest
	if err := os.RemoveAll(s.folderPath(folder)); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Path, s.folderPath(folder)); err != nil {
		return nil, err
	}
	if err := s.tag(name, folder); err != nil {
		return nil, err
	}
	return s.open(folder)
}

// stage puts the files into dir and returns the disk's sha256.
func (s *Store) stage(ctx context.Context, dir string, f Files) (string, error) {
	h := sha256.New()
	for _, c := range []struct {
		src, dst string
		h        hash.Hash
	}{{f.Disk, DiskFile, h}, {f.Kernel, KernelFile, nil}, {f.Initrd, InitrdFile, nil}, {f.Status, StatusFile, nil}} {
		if c.src == "" {
			continue
		}
		if err := place(ctx, c.src, filepath.Join(dir, c.dst), f.Move, c.h); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// place moves (when move is set and the filesystem allows it) or copies
// src to dst, hashing the result into h when h is set. The file ends up
// 0644 and is never a link to src.
func place(ctx context.Context, src, dst string, move bool, h hash.Hash) error {
	if move {
		err := os.Rename(src, dst)
		if err == nil {
			if h == nil {
				return os.Chmod(dst, 0o644)
			}
			return errors.Join(os.Chmod(dst, 0o644), hashFile(ctx, dst, h))
		}
		if !errors.Is(err, syscall.EXDEV) {
			return err
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if st, err := in.Stat(); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	w := io.Writer(out)
	if h != nil {
		w = io.MultiWriter(out, h)
	}
	if _, err := staging.Copy(ctx, w, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

func hashFile(ctx context.Context, p string, h hash.Hash) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = staging.Copy(ctx, h, f)
	return err
}

// qcow2Magic checks that path starts like a qcow2 image.
func qcow2Magic(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("disk image: %w", err)
	}
	defer f.Close()
	var hdr [4]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[:]) != "QFI\xfb" {
		return fmt.Errorf("%s is not a qcow2 image; convert it with `qemu-img convert -O qcow2`", path)
	}
	return nil
}
