package images

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// Import adds an existing qcow2 disk to the store under name, with an
// optional kernel and initrd for direct kernel boot. The digest is the
// disk's sha256.
func (s *Store) Import(name, disk, kernel, initrd string) (*Image, error) {
	if !namePattern.MatchString(name) {
		return nil, fmt.Errorf("image name %q: use a-z, 0-9, '.', '_' and '-'", name)
	}
	if (kernel == "") != (initrd == "") {
		return nil, fmt.Errorf("import %s: give both --kernel and --initrd, or neither", name)
	}
	if _, err := virtualSizeOf(disk); err != nil {
		return nil, err
	}
	digest, err := fileDigest(disk)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(ensureDir(s.Dir), ".import-")
	if err != nil {
		return nil, fmt.Errorf("image store %s: %w", s.Dir, err)
	}
	defer os.RemoveAll(tmp)
	files := map[string]string{disk: DiskFile}
	if kernel != "" {
		files[kernel], files[initrd] = KernelFile, InitrdFile
	}
	for src, dst := range files {
		if err := copyFile(src, filepath.Join(tmp, dst)); err != nil {
			return nil, fmt.Errorf("import %s: %w", name, err)
		}
	}
	st, _ := os.Stat(disk)
	m := &Manifest{Name: name, Digest: digest, Source: "import", Built: time.Now().UTC(), Size: st.Size()}
	if err := writeManifest(tmp, m); err != nil {
		return nil, err
	}
	final := s.digestDir(digest)
	os.RemoveAll(final)
	if err := os.Rename(tmp, final); err != nil {
		return nil, err
	}
	if err := s.tag(name, digest); err != nil {
		return nil, err
	}
	return s.open(digest)
}

func ensureDir(d string) string {
	os.MkdirAll(d, 0o755)
	return d
}

func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// virtualSizeOf checks that path is a qcow2 image and returns its size.
func virtualSizeOf(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("disk image: %w", err)
	}
	defer f.Close()
	var hdr [32]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil || string(hdr[:4]) != "QFI\xfb" {
		return 0, fmt.Errorf("%s is not a qcow2 image; convert it with `qemu-img convert -O qcow2`", path)
	}
	var n uint64
	for _, b := range hdr[24:32] {
		n = n<<8 | uint64(b)
	}
	return n, nil
}
