// Package bundle carries a lab to a machine with no network: one .tar.gz
// holding the lab folder (with its .debs and puppet git bundle), the base
// images its VMs boot, and the .deb files its pinned packages resolved to.
// Create plans and writes one; Import checks one against its manifest and
// the lab, stages it, and puts each part where vlab looks for it.
//
// A bundle may come from someone else. Import takes only what the manifest
// declares and the lab needs, in the forms vlab itself writes: the lab
// folder (regular files, no .git), images (recorded as imported, each file's
// sha256 checked, standalone qcow2 disks only) and .deb files whose sha256
// the manifest records and whose control fields say the package, version
// and architecture the manifest does. The .debs go to the package cache's
// store by sha256 and are used for the bundle's lab alone: Import records
// them in the lab's folder, never in the closure records other labs read.
package bundle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/internal/debfile"
	"github.com/vlab-dev/vlab/labfile"
)

// Format is the bundle layout version written in the manifest. Format 1
// recorded no digests and is refused.
const Format = 2

// Manifest is the first file of a bundle: what it holds, with the size
// and sha256 of every image and package file.
type Manifest struct {
	Format   int       `json:"format"`
	Lab      string    `json:"lab"`
	Created  time.Time `json:"created"`
	Images   []Image   `json:"images,omitempty"`
	Packages []Closure `json:"packages,omitempty"`
}

// Debs is the number of package files the bundle carries.
func (m *Manifest) Debs() int {
	n := 0
	for _, p := range m.Packages {
		n += len(p.Debs)
	}
	return n
}

// Image is one base image in the bundle, under the name the lab's VMs use.
type Image struct {
	Name   string `json:"name"`
	Kernel string `json:"kernel,omitempty"` // kernel release, when known
	Files  []File `json:"files"`
}

// File is one file of an image: DiskFile, KernelFile, InitrdFile or
// StatusFile of package images.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Closure is the set of .debs that installs one packages step's pins on
// top of an image.
type Closure struct {
	Image string            `json:"image"`
	Pins  map[string]string `json:"pins"`
	Debs  []Deb             `json:"debs"`
}

// Deb is one Debian package file of a closure, stored as debs/<sha256>.deb.
type Deb struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
}

// Entry names inside the bundle.
const (
	manifestName = "vlab-bundle.json"
	labPrefix    = "lab/"
	imagePrefix  = "images/"
	debPrefix    = "debs/"
	maxManifest  = 4 << 20
)

var (
	sha256Pattern  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	kernelPattern  = regexp.MustCompile(`^[A-Za-z0-9._+~-]{1,64}$`)
	imageFileNames = []string{images.DiskFile, images.KernelFile, images.InitrdFile, images.StatusFile}
)

func (img Image) entry(f File) string { return imagePrefix + img.Name + "/" + f.Name }
func (d Deb) entry() string           { return debPrefix + d.SHA256 + ".deb" }

// control is what the package file's control fields must say.
func (d Deb) control() debfile.Control {
	return debfile.Control{Package: d.Package, Version: d.Version, Architecture: d.Arch}
}

// readManifest decodes and checks the manifest: every name it gives must be
// one vlab would write, since names become paths and are printed.
func readManifest(r io.Reader) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(io.LimitReader(r, maxManifest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", manifestName, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("bundle format %d; this vlab reads format %d: create the bundle again with this vlab", m.Format, Format)
	}
	if !labfile.ValidName(m.Lab) {
		return nil, fmt.Errorf("manifest %s: lab name %q is not a lab name (a-z, 0-9 and '-')", manifestName, m.Lab)
	}
	var errs []error
	for i, img := range m.Images {
		errs = append(errs, img.check(fmt.Sprintf("images[%d]", i)))
	}
	for i, c := range m.Packages {
		errs = append(errs, c.check(fmt.Sprintf("packages[%d]", i)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("manifest %s: %w", manifestName, err)
	}
	return &m, nil
}

func (img Image) check(at string) error {
	var errs []error
	if !images.ValidName(img.Name) {
		errs = append(errs, fmt.Errorf("%s.name %q is not an image name", at, img.Name))
	}
	if img.Kernel != "" && !kernelPattern.MatchString(img.Kernel) {
		errs = append(errs, fmt.Errorf("%s.kernel %q is not a kernel release", at, img.Kernel))
	}
	seen := map[string]bool{}
	for j, f := range img.Files {
		switch {
		case !slices.Contains(imageFileNames, f.Name) || seen[f.Name]:
			errs = append(errs, fmt.Errorf("%s.files[%d]: %q is not an image file, or is named twice", at, j, f.Name))
		case f.Size < 0 || !sha256Pattern.MatchString(f.SHA256):
			errs = append(errs, fmt.Errorf("%s.files[%d]: size %d, sha256 %q", at, j, f.Size, f.SHA256))
		}
		seen[f.Name] = true
	}
	if !seen[images.DiskFile] || seen[images.KernelFile] != seen[images.InitrdFile] {
		errs = append(errs, fmt.Errorf("%s: an image has a disk, and a kernel with an initrd or neither", at))
	}
	return errors.Join(errs...)
}

func (c Closure) check(at string) error {
	var errs []error
	if !images.ValidName(c.Image) {
		errs = append(errs, fmt.Errorf("%s.image %q is not an image name", at, c.Image))
	}
	for j, d := range c.Debs {
		if !d.control().Valid() || d.Size < 0 || !sha256Pattern.MatchString(d.SHA256) {
			errs = append(errs, fmt.Errorf("%s.debs[%d] is not a package file vlab writes", at, j))
		}
	}
	return errors.Join(errs...)
}

// labPath returns the path inside the lab folder of a lab/ entry, or an
// error when the entry could leave the folder or carries git metadata.
func labPath(name string) (string, error) {
	rel := strings.TrimPrefix(name, labPrefix)
	if rel == "" || path.Clean(rel) != rel || strings.HasPrefix(rel, "/") || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("bundle entry %q escapes the lab folder", name)
	}
	if first, _, _ := strings.Cut(rel, "/"); first == labfile.BundlePackagesName {
		return "", fmt.Errorf("bundle entry %q: import writes the lab's %s from the manifest; a bundle cannot carry it", name, labfile.BundlePackagesName)
	}
	for _, part := range strings.Split(rel, "/") {
		if part == ".git" || part == "." || part == ".." {
			return "", fmt.Errorf("bundle entry %q: a lab folder in a bundle carries no .git; keep puppet history as a git bundle file", name)
		}
	}
	for _, r := range rel {
		if r < 0x20 || r == 0x7f {
			return "", fmt.Errorf("bundle entry %q has a control character in its name", name)
		}
	}
	return rel, nil
}
