package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/internal/debfile"
	"github.com/vlab-dev/vlab/labfile"
)

// A lab imported from a bundle keeps the package sets the bundle brought in
// its own folder (labfile.BundlePackagesName), not in the cache's closure
// records: those are shared by every lab on the machine, and what a bundle
// says about nginx 1.22.1-9 must never become what another lab installs.
// The .deb files themselves go to the cache's debs/ folder, each named by
// its sha256, and are used only through such a record.

// LabClosure is one package set a lab keeps for itself.
type LabClosure struct {
	// Key is the closure key of the packages step: the image, its dpkg
	// status, the architecture, the sources and the pins.
	Key string `json:"key"`
	// Debs are in DebStore; their Path is not recorded.
	Debs []Deb `json:"debs"`
}

// labPackages is the content of labfile.BundlePackagesName.
type labPackages struct {
	Closures []LabClosure `json:"closures"`
}

// maxLabPackages caps the record read from a lab folder.
const maxLabPackages = 4 << 20

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// DebStore is the folder of the package cache that holds .deb files named
// <sha256>.deb.
func DebStore(cacheDir string) string { return filepath.Join(cacheDir, "debs") }

func storePath(cacheDir, sum string) string { return filepath.Join(DebStore(cacheDir), sum+".deb") }

// NewLabClosure checks debs (CheckClosure) and returns a lab's record of
// them under spec's closure key. Their files are looked for in DebStore.
func NewLabClosure(spec FetchSpec, debs []Deb) (LabClosure, error) {
	if err := spec.fill(); err != nil { // the key depends on the defaults
		return LabClosure{}, err
	}
	if err := CheckClosure(spec, debs); err != nil {
		return LabClosure{}, err
	}
	key, err := spec.closureKey()
	if err != nil {
		return LabClosure{}, err
	}
	c := LabClosure{Key: key, Debs: make([]Deb, len(debs))}
	for i, d := range debs {
		d.Path = ""
		c.Debs[i] = d
	}
	return c, nil
}

// CheckClosure checks debs, the package files brought for spec's pins on
// the image whose dpkg status is spec.Status: every pin the image lacks is
// among them at its version, no package comes twice, each is built for
// spec's architecture or for all.
func CheckClosure(spec FetchSpec, debs []Deb) error {
	if err := spec.fill(); err != nil {
		return err
	}
	installed, err := readStatus(spec.Status)
	if err != nil {
		return fmt.Errorf("dpkg status of the base image: %w", err)
	}
	have := map[string]string{}
	for _, d := range debs {
		switch {
		case !(debfile.Control{Package: d.Package, Version: d.Version, Architecture: d.Arch}).Valid() || !sha256Hex.MatchString(d.SHA256):
			return fmt.Errorf("package %.64q is not a package file vlab records", d.Package)
		case d.Arch != spec.Arch && d.Arch != "all":
			return fmt.Errorf("package %s %s is built for %s, not for %s", d.Package, d.Version, d.Arch, spec.Arch)
		case have[d.Package] != "":
			return fmt.Errorf("package %s comes twice (%s and %s)", d.Package, have[d.Package], d.Version)
		}
		have[d.Package] = d.Version
	}
	for _, name := range missingPins(spec.Pins, installed) {
		if !sameVersion(have[name], spec.Pins[name]) {
			return fmt.Errorf("pinned %s %s is not among the packages, and the image lacks it", name, spec.Pins[name])
		}
	}
	return nil
}

// WriteLabPackages records closures in the lab folder dir. The record must
// not exist yet: only an import writes it, into the lab it stages.
func WriteLabPackages(dir string, closures []LabClosure) error {
	data, err := json.MarshalIndent(labPackages{Closures: closures}, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, labfile.BundlePackagesName), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(append(data, '\n'))
	return errors.Join(err, f.Close())
}

// loadLabClosure returns the package set the lab in labDir records under
// key, with each file's path in DebStore, or nil when it records none.
// A record that names a file the store lacks, or holds with other
// content, is an error: the lab's packages are the bundle's or none.
func loadLabClosure(labDir, key, cacheDir string) ([]Deb, error) {
	rec, err := readLabPackages(labDir)
	if err != nil || rec == nil {
		return nil, err
	}
	for _, c := range rec.Closures {
		if c.Key != key {
			continue
		}
		debs := make([]Deb, len(c.Debs))
		for i, d := range c.Debs {
			if !(debfile.Control{Package: d.Package, Version: d.Version, Architecture: d.Arch}).Valid() || !sha256Hex.MatchString(d.SHA256) {
				return nil, fmt.Errorf("%s: debs[%d] is not a package file vlab records; import the lab's bundle again", labPackagesPath(labDir), i)
			}
			d.Path = storePath(cacheDir, d.SHA256)
			if sum, err := fileSHA256(d.Path); err != nil || sum != d.SHA256 {
				return nil, fmt.Errorf("%s: %s %s (%s) is gone from the package cache or changed; import the lab's bundle again, or remove %s to fetch the packages online",
					labPackagesPath(labDir), d.Package, d.Version, d.Path, labfile.BundlePackagesName)
			}
			debs[i] = d
		}
		return debs, nil
	}
	return nil, nil
}

// readLabPackages reads the lab's record, nil when it has none. The file
// stays inside the lab folder, whatever symlinks it holds.
func readLabPackages(labDir string) (*labPackages, error) {
	data, err := readLabFile(labDir)
	if err != nil || data == nil {
		return nil, err
	}
	var rec labPackages
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w; import the lab's bundle again", labPackagesPath(labDir), err)
	}
	return &rec, nil
}

func readLabFile(labDir string) ([]byte, error) {
	f, err := confine.Open(labDir, labfile.BundlePackagesName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", labPackagesPath(labDir), err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLabPackages+1))
	if err == nil && len(data) > maxLabPackages {
		err = fmt.Errorf("larger than %d MiB", maxLabPackages>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", labPackagesPath(labDir), err)
	}
	return data, nil
}

func labPackagesPath(labDir string) string { return filepath.Join(labDir, labfile.BundlePackagesName) }

// labPackageInputs digests what a lab itself brings to its packages steps,
// its bundle's record and its debs/ folder, "" when it has neither: two
// labs of one name whose packages come from different files must not
// share a golden state.
func labPackageInputs(lab *labfile.Lab) (string, error) {
	rec, err := readLabFile(lab.Dir)
	if err != nil {
		return "", err
	}
	debDir, err := LabDebDir(lab)
	if err != nil {
		return "", err
	}
	if rec == nil && debDir == "" {
		return "", nil
	}
	var debs FileDigest
	if debDir != "" {
		if debs, err = DigestPath(debDir); err != nil {
			return "", err
		}
	}
	return Key(rec, debs)
}
