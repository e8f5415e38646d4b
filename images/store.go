// Package images builds, imports and keeps the base images vlab boots: a
// qcow2 disk plus, for direct kernel boot, the kernel and initrd taken out of
// it. Images live in a content-addressed store: a folder per image, and a
// tag file per name naming the folder in use. A built image's folder is
// sha256-<recipe digest>; an imported one's is imported-<disk sha256>, so
// an imported image can never stand for a recipe in Build.
package images

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
)

// ErrNotFound is returned when no image has the requested name.
var ErrNotFound = errors.New("image not found")

// ErrBroken is returned for a tag whose image folder is unusable; `vlab
// images rm` removes such a tag.
var ErrBroken = errors.New("broken image tag: remove it with `vlab images rm` and build or import the image again")

// File names inside an image folder.
const (
	DiskFile     = "disk.qcow2"
	KernelFile   = "vmlinuz"
	InitrdFile   = "initrd.img"
	ManifestFile = "manifest.json"
	StatusFile   = "dpkg-status"
)

// Where an image came from, as its manifest records it.
const (
	SourceBuild  = "mmdebstrap" // built here from a recipe
	SourceImport = "import"     // a disk made elsewhere: images import, bundle import
)

// Folder name prefixes: built and imported images never share a folder.
const (
	builtPrefix    = "sha256-"
	importedPrefix = "imported-"
)

var digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Manifest records what an image holds and how it came to be.
type Manifest struct {
	Name     string            `json:"name"`
	Digest   string            `json:"digest"`
	Source   string            `json:"source"` // SourceBuild or SourceImport
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
func (s *Store) folderPath(f string) string { return filepath.Join(s.Dir, f) }
func builtFolder(digest string) string      { return builtPrefix + digest }

// Get returns the image tagged name.
func (s *Store) Get(name string) (*Image, error) {
	folder, err := s.tagged(name)
	if err != nil {
		return nil, err
	}
	return s.open(folder)
}

// tagged returns the folder the tag name points at. A tag holds the
// folder's name; one written by an older vlab holds a bare digest, which
// names a built image's folder.
func (s *Store) tagged(name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("image %q: %w", name, ErrNotFound)
	}
	b, err := os.ReadFile(s.tagPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("image %q: %w", name, ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	ref := strings.TrimSpace(string(b))
	if digestPattern.MatchString(ref) {
		ref = builtFolder(ref)
	}
	if _, d, ok := splitFolder(ref); !ok || !digestPattern.MatchString(d) {
		return "", fmt.Errorf("tag %s holds %q, not an image folder: %w", s.tagPath(name), short(ref), ErrBroken)
	}
	return ref, nil
}

// splitFolder splits an image folder name into its prefix and digest.
func splitFolder(f string) (prefix, digest string, ok bool) {
	for _, p := range []string{builtPrefix, importedPrefix} {
		if d, ok := strings.CutPrefix(f, p); ok {
			return p, d, true
		}
	}
	return "", "", false
}

func (s *Store) open(folder string) (*Image, error) {
	prefix, digest, ok := splitFolder(folder)
	if !ok {
		return nil, fmt.Errorf("image folder %q: %w", folder, ErrNotFound)
	}
	dir := s.folderPath(folder)
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("image %s: %w", short(digest), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	img := &Image{Dir: dir, Disk: filepath.Join(dir, DiskFile)}
	if err := json.Unmarshal(b, &img.Manifest); err != nil {
		return nil, fmt.Errorf("read %s: %w; remove the image with `vlab images rm` and build or import it again", filepath.Join(dir, ManifestFile), err)
	}
	if img.Digest != digest || (prefix == importedPrefix) != (img.Source == SourceImport) {
		return nil, fmt.Errorf("%s does not match its folder (digest %s, source %q): %w", filepath.Join(dir, ManifestFile), short(img.Digest), img.Source, ErrBroken)
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

// Entry is one tag of the store: its image, or why it has none.
type Entry struct {
	Name  string
	Image *Image // nil when the tag is broken
	Err   error  // why the tag is broken
}

// Entries returns every tag, sorted by name, broken ones included: a tag
// whose image folder is gone or unreadable is listed with its error, so
// that it can be shown and removed.
func (s *Store) Entries() ([]Entry, error) {
	ents, err := os.ReadDir(filepath.Join(s.Dir, "tags"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !ValidName(e.Name()) {
			continue
		}
		img, err := s.Get(e.Name())
		out = append(out, Entry{Name: e.Name(), Image: img, Err: err})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// List returns every tagged image that can be used, sorted by name; broken
// tags are left out (Entries shows them).
func (s *Store) List() ([]*Image, error) {
	ents, err := s.Entries()
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, e := range ents {
		if e.Image != nil {
			out = append(out, e.Image)
		}
	}
	return out, nil
}

// Removal says what Remove removed.
type Removal struct {
	Tag    bool   // the tag existed and is gone
	Broken error  // the tag pointed at no usable image: why
	Folder string // the image folder removed; empty when another tag uses it or it was gone
}

// Remove deletes the tag name and its image folder unless another tag uses
// it. A broken tag (its folder gone or unreadable) is removed too, with
// what is left of its folder. Removing a name that does not exist is not
// an error: the Removal is empty.
func (s *Store) Remove(name string) (Removal, error) {
	var r Removal
	folder, err := s.tagged(name)
	switch {
	case errors.Is(err, ErrNotFound) && !exists(s.tagPath(name)):
		return r, nil
	case errors.Is(err, ErrBroken):
		r.Broken, folder = err, ""
	case err != nil:
		return r, err
	default:
		if _, err := s.open(folder); err != nil {
			r.Broken = err
		}
	}
	if err := os.Remove(s.tagPath(name)); err != nil {
		return r, err
	}
	r.Tag = true
	if folder == "" || !exists(s.folderPath(folder)) {
		return r, nil
	}
	ents, err := s.Entries()
	if err != nil {
		return r, err
	}
	for _, e := range ents {
		if f, err := s.tagged(e.Name); err == nil && f == folder {
			return r, nil
		}
	}
	r.Folder = s.folderPath(folder)
	return r, os.RemoveAll(r.Folder)
}

// tag points name at an image folder, atomically.
func (s *Store) tag(name, folder string) error {
	if err := os.MkdirAll(filepath.Dir(s.tagPath(name)), 0o755); err != nil {
		return err
	}
	return writeAtomic(s.tagPath(name), []byte(folder+"\n"))
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
