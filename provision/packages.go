package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/internal/debfile"
	"github.com/vlab-dev/vlab/internal/debver"
	"github.com/vlab-dev/vlab/internal/lock"
)

// Deb is one Debian package file in vlab's package cache.
type Deb struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
	Path    string `json:"path"` // in the cache; relative to CacheDir in the closure record
	SHA256  string `json:"sha256"`
}

// FetchSpec says which pinned packages to fetch for which base image, and
// from where.
type FetchSpec struct {
	// Pins maps package names to exact Debian versions.
	Pins map[string]string
	// ImageDigest names the base image; the closure depends on it.
	ImageDigest string
	// Status is the base image's dpkg status file, saved by the image
	// builder as dpkg-status next to the image. What it lists as installed
	// is not fetched.
	Status string
	// CacheDir is vlab's package cache.
	CacheDir string
	// Sources are apt source lines ("deb URL suite component..."); empty
	// means DefaultSources.
	Sources []string
	// DebDir, when set, is a directory of .deb files used instead of
	// Sources; it needs no network.
	DebDir string
	// Arch is the guests' Debian architecture; empty means the host's.
	Arch string
	// Offline forbids network access: only a closure recorded by an earlier
	// Fetch, the lab's own record, or DebDir, can be used.
	Offline bool
	// LabDir, when set, is the folder of the lab the packages are for: the
	// package sets its bundle brought (labfile.BundlePackagesName) are
	// used for it, and for no other lab.
	LabDir string
	// Verbose receives apt's output.
	Verbose io.Writer
}

// Fetch puts the .debs that installing the pinned packages needs on top of
// the base image (the pins and their dependencies that the image lacks) in
// the cache and returns them. The resolved set is recorded, so a second
// Fetch with the same image and pins needs no network.
func Fetch(ctx context.Context, spec FetchSpec) ([]Deb, error) {
	if err := spec.fill(); err != nil {
		return nil, err
	}
	installed, err := readStatus(spec.Status)
	if err != nil {
		return nil, fmt.Errorf("dpkg status of the base image: %w; rebuild the image with `vlab images build` so that it saves dpkg-status", err)
	}
	key, err := spec.closureKey()
	if err != nil {
		return nil, err
	}
	if spec.LabDir != "" {
		if debs, err := loadLabClosure(spec.LabDir, key, spec.CacheDir); err != nil || debs != nil {
			return debs, err
		}
	}
	record := filepath.Join(spec.CacheDir, "closures", key+".json")
	if debs, err := loadClosure(record, spec.CacheDir); err == nil {
		return debs, nil
	}
	want := missingPins(spec.Pins, installed)
	if len(want) == 0 {
		return nil, saveClosure(record, spec.CacheDir, nil)
	}
	if spec.Offline && spec.DebDir == "" {
		return nil, fmt.Errorf("packages %s for image %.12s are not in the cache and vlab is offline; run once online or give a directory of .debs",
			strings.Join(want, " "), spec.ImageDigest)
	}
	debs, err := spec.resolve(ctx, want)
	if err != nil {
		return nil, err
	}
	return debs, saveClosure(record, spec.CacheDir, debs)
}

// fill sets defaults and checks the pins.
func (s *FetchSpec) fill() error {
	if len(s.Sources) == 0 {
		s.Sources = DefaultSources()
	}
	if s.Arch == "" {
		s.Arch = hostArch()
	}
	if s.CacheDir == "" {
		return errors.New("fetch packages: no cache directory")
	}
	// apt reads the paths of its configuration from / : a relative
	// VLAB_HOME must not reach it relative.
	abs, err := filepath.Abs(s.CacheDir)
	if err != nil {
		return fmt.Errorf("package cache: %w", err)
	}
	s.CacheDir = abs
	var errs []error
	for name, v := range s.Pins {
		if _, err := debver.Parse(v); err != nil {
			errs = append(errs, fmt.Errorf("package %s: %w; pin an exact Debian version such as 1.22.1-9", name, err))
		}
	}
	return errors.Join(errs...)
}

// closureKey names the recorded closure: image, status file, architecture,
// sources and pins. A lab's debs/ folder is a source of that lab alone: its
// real path is part of the key, so that another lab whose folder lists
// files of the same names, sizes and times never reads its record.
func (s *FetchSpec) closureKey() (string, error) {
	status, err := fileSHA256(s.Status)
	if err != nil {
		return "", fmt.Errorf("dpkg status of the base image: %w", err)
	}
	src := any(s.Sources)
	if s.DebDir != "" {
		dir, err := confine.Real(s.DebDir)
		if err != nil {
			return "", fmt.Errorf("package directory: %w", err)
		}
		listing, err := dirListing(dir)
		if err != nil {
			return "", err
		}
		src = struct {
			Dir   string    `json:"dir"`
			Files []debFile `json:"files"`
		}{dir, listing}
	}
	return Key(s.ImageDigest, status, s.Arch, src, s.Pins)
}

// resolve asks apt for the closure of want and downloads it.
func (s *FetchSpec) resolve(ctx context.Context, want []string) ([]Deb, error) {
	sources, err := aptSources(ctx, s.CacheDir, s.DebDir, s.Sources)
	if err != nil {
		return nil, err
	}
	apt, unlock, err := openAptRoot(ctx, s.CacheDir, sources, s.Arch, s.Status, s.Verbose)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := apt.update(ctx); err != nil {
		return nil, err
	}
	if err := s.checkAvailable(ctx, apt, want); err != nil {
		return nil, err
	}
	args := pinArgs(s.Pins, want)
	debs, err := apt.simulate(ctx, args)
	if err != nil {
		return nil, err
	}
	return apt.download(ctx, args, debs)
}

// checkAvailable reports, one line a package, every pin the sources lack.
func (s *FetchSpec) checkAvailable(ctx context.Context, apt *aptRoot, want []string) error {
	have, err := apt.available(ctx, want)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range want {
		if err := pinAvailable(name, s.Pins[name], have[name], "the apt sources"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// pinAvailable says what to do when version is not among have, the
// versions that where (the apt sources, the lab's debs/) has.
func pinAvailable(name, version string, have []debver.Version, where string) error {
	pin, err := debver.Parse(version)
	if err != nil {
		return fmt.Errorf("package %s: %w", name, err)
	}
	if slices.ContainsFunc(have, pin.Equal) {
		return nil
	}
	if len(have) == 0 {
		return fmt.Errorf("package %s is not in %s; check its name or add a source that has it", name, where)
	}
	list := make([]string, len(have))
	for i, v := range have {
		list[i] = v.String()
	}
	return fmt.Errorf("pinned %s %s but %s only have %s; pin one of those or add a source that has %s (e.g. snapshot.debian.org)",
		name, version, where, strings.Join(list, ", "), version)
}

// missingPins lists, sorted, the pinned packages the image does not have at
// the pinned version.
func missingPins(pins, installed map[string]string) []string {
	var want []string
	for name, v := range pins {
		got, ok := installed[name]
		if !ok || !sameVersion(got, v) {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	return want
}

func sameVersion(a, b string) bool {
	c, err := debver.Compare(a, b)
	return err == nil && c == 0
}

// pinArgs writes apt-get arguments name=version for the names.
func pinArgs(pins map[string]string, names []string) []string {
	args := make([]string, len(names))
	for i, n := range names {
		args[i] = n + "=" + pins[n]
	}
	return args
}

// readStatus returns the installed packages and versions of a dpkg status
// file.
func readStatus(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	installed := map[string]string{}
	for _, st := range debfile.Paragraphs(data) {
		if strings.HasSuffix(st["Status"], " installed") {
			installed[st["Package"]] = st["Version"]
		}
	}
	return installed, nil
}

// closureRecord is what Fetch stores about one resolved package set.
type closureRecord struct {
	Debs []Deb `json:"debs"`
}

// loadClosure returns a recorded closure whose files are all in the cache
// with the recorded checksums.
func loadClosure(path, cacheDir string) ([]Deb, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rec closureRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("closure record %s: %w", path, err)
	}
	for i := range rec.Debs {
		d := &rec.Debs[i]
		d.Path = filepath.Join(cacheDir, d.Path)
		if sum, err := fileSHA256(d.Path); err != nil || sum != d.SHA256 {
			return nil, fmt.Errorf("cached %s changed or is gone", d.Path)
		}
	}
	return rec.Debs, nil
}

func saveClosure(path, cacheDir string, debs []Deb) error {
	rec := closureRecord{Debs: make([]Deb, len(debs))}
	for i, d := range debs {
		rel, err := filepath.Rel(cacheDir, d.Path)
		if err != nil {
			return fmt.Errorf("record package closure: %w", err)
		}
		d.Path = rel
		rec.Debs[i] = d
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("record package closure: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("record package closure: %w", err)
	}
	return writeFileAtomic(path, data)
}

// lockDir takes an exclusive lock next to dir (the package cache of one
// set of sources, a git repository of the cache), so that two VMs of a lab
// can fetch at the same time. Another vlab's fetch is waited for, at most
// lockWait.
func lockDir(ctx context.Context, dir string) (unlock func(), err error) {
	l, err := lock.Acquire(ctx, dir+".lock", lock.Options{Wait: lock.Fixed(lockWait)})
	if err != nil {
		return nil, fmt.Errorf("cache %s: %w", dir, err)
	}
	return l.Unlock, nil
}

// writeOnce makes the cache file path with write, unless it exists: write
// gets a path of its own in a fresh folder beside path, which is renamed
// into place when write succeeds. A lock beside path makes concurrent
// makers (two labs of one kit revision side by side, in one process or
// two) wait for the first, then find its file.
func writeOnce(ctx context.Context, path string, write func(tmp string) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	unlock, err := lockDir(ctx, path)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".new-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, filepath.Base(path))
	if err := write(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lockWait bounds the wait for another vlab's fetch into the same cache.
const lockWait = 30 * time.Minute

// writeFileAtomic writes through a temporary file of its own, so that
// two writers of the same record never mix.
func writeFileAtomic(path string, data []byte) error {
	return atomicfile.Write(path, data, 0o644)
}

// Prefetch makes sure the pinned packages of spec are in the cache, as
// Fetch does, and returns the cache files a later offline Fetch with the
// same spec reads: the closure record and the .debs, relative to the cache.
func Prefetch(ctx context.Context, spec FetchSpec) ([]string, error) {
	if err := spec.fill(); err != nil { // the closure key depends on the defaults
		return nil, err
	}
	debs, err := Fetch(ctx, spec)
	if err != nil {
		return nil, err
	}
	key, err := spec.closureKey()
	if err != nil {
		return nil, err
	}
	files := []string{filepath.Join("closures", key+".json")}
	for _, d := range debs {
		rel, err := filepath.Rel(spec.CacheDir, d.Path)
		if err != nil {
			return nil, err
		}
		files = append(files, rel)
	}
	return files, nil
}

// RecordClosure records debs (files under spec.CacheDir, with their
// SHA256) as the resolved packages of spec, as Fetch does after asking apt,
// so that a later Fetch with the same spec, for any lab, uses them with no
// network. Only packages resolved from spec's sources may be recorded so;
// what a bundle brought is its lab's alone (NewLabClosure).
func RecordClosure(spec FetchSpec, debs []Deb) error {
	if err := spec.fill(); err != nil {
		return err
	}
	key, err := spec.closureKey()
	if err != nil {
		return err
	}
	return saveClosure(filepath.Join(spec.CacheDir, "closures", key+".json"), spec.CacheDir, debs)
}
