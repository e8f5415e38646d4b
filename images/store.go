// Package images builds, imports and keeps the base images vlab boots: a
// qcow2 disk plus, for direct kernel boot, the kernel and initrd taken out of
// it. Images live in a content-addressed store: a folder per digest, and a
// tag file per name pointing at the digest in use.
package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
)

// ErrNotFound is returned when no image has the requested name.
var ErrNotFound = errors.New("image not found")

// File names inside an image folder.
const (
	DiskFile     = "disk.qcow2"
	KernelFile   = "vmlinuz"
	InitrdFile   = "initrd.img"
	ManifestFile = "manifest.json"
	StatusFile   = "dpkg-status"
)

// Manifest records what an image holds and how it came to be.
type Manifest struct {
	Name     string            `json:"name"`
	Digest   string            `json:"digest"`
	Source   string            `json:"source"` // "mmdebstrap" or "import"
	Built    time.Time         `json:"built"`
	Seconds  float64           `json:"seconds,omitempty"`
	Recipe   *Recipe           `json:"recipe,omitempty"`
	Command  []string          `json:"command,omitempty"`
	Kernel   string            `json:"kernel,omitempty"` // kernel release
	Size     int64             `json:"size"`
	Packages map[string]string `json:"packages,omitempty"`
}

// Image is one image in the store, with absolute paths to its files.
type Image struct {
	Manifest
	Dir    string
	Disk   string
	Kernel string // empty when the image boots from its own bootloader
	Initrd string
	Status string // dpkg status file of the image, empty if unknown
}

// Store is the image store under one folder.
type Store struct {
	Dir string
}

func (s *Store) tagPath(name string) string { return filepath.Join(s.Dir, "tags", name) }
func (s *Store) digestDir(d string) string  { return filepath.Join(s.Dir, "sha256-"+d) }

// Get returns the image tagged name.
func (s *Store) Get(name string) (*Image, error) {
	b, err := os.ReadFile(s.tagPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("image %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.open(strings.TrimSpace(string(b)))
}

func (s *Store) open(digest string) (*Image, error) {
	dir := s.digestDir(digest)
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("image %s: %w", short(digest), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	img := &Image{Dir: dir, Disk: filepath.Join(dir, DiskFile)}
	if err := json.Unmarshal(b, &img.Manifest); err != nil {
		return nil, fmt.Errorf("read %s: %w; remove the image with `vlab images rm` and build it again", filepath.Join(dir, ManifestFile), err)
	}
	if exists(filepath.Join(dir, KernelFile)) {
		img.Kernel = filepath.Join(dir, KernelFile)
		img.Initrd = filepath.Join(dir, InitrdFile)
	}
	if exists(filepath.Join(dir, StatusFile)) {
		img.Status = filepath.Join(dir, StatusFile)
	}
	return img, nil
}

// List returns every tagged image, sorted by name.
func (s *Store) List() ([]*Image, error) {
	ents, err := os.ReadDir(filepath.Join(s.Dir, "tags"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		img, err := s.Get(e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Remove deletes the tag name and its image folder unless another tag uses
// it. Removing a name that does not exist is not an error.
func (s *Store) Remove(name string) error {
	img, err := s.Get(name)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err := os.Remove(s.tagPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err != nil {
		return nil
	}
	others, err := s.List()
	if err != nil {
		return err
	}
	for _, o := range others {
		if o.Digest == img.Digest {
			return nil
		}
	}
	return os.RemoveAll(img.Dir)
}

// tag points name at digest, atomically.
func (s *Store) tag(name, digest string) error {
	if err := os.MkdirAll(filepath.Dir(s.tagPath(name)), 0o755); err != nil {
		return err
	}
	return writeAtomic(s.tagPath(name), []byte(digest+"\n"))
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

func writeAtomic(path string, data []byte) error { return atomicfile.Write(path, data, 0o644) }

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}
