package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
	"github.com/vlab-dev/vlab/internal/debfile/debtest"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

const labYAML = `name: shop
title: Shop
vms:
  - name: web
    image: debian-12
    provision:
      - puppet:
          repo: puppet.bundle
          revision: main
      - packages:
          nginx: 1.22.1-9
`

const status = "Package: base-files\nStatus: install ok installed\nVersion: 12.4\n"

// debData is shop's nginx, as fetched before on the source machine.
var debData = string(debtest.Deb(debtest.Control("nginx", "1.22.1-9", "amd64"), "xz", "nginx"))

func write(t *testing.T, p, data string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func hexSum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// machine is one vlab home with its labs folder.
type machine struct {
	home, labs string
	store      *images.Store
}

func newMachine(t *testing.T) machine {
	home := t.TempDir()
	return machine{home: home, labs: filepath.Join(home, "labs"), store: &images.Store{Dir: filepath.Join(home, "images")}}
}

func (m machine) cache() string { return filepath.Join(m.home, "cache") }

func (m machine) importOpts() ImportOptions {
	return ImportOptions{LabsDir: m.labs, Images: m.store, CacheDir: m.cache(), TempDir: filepath.Join(m.home, "staging")}
}

// source is a machine with the shop lab, its image and its packages in the
// cache, as if fetched before.
func source(t *testing.T) (machine, *labfile.Lab) {
	t.Helper()
	return sourceWith(t, labYAML)
}

// sourceWith is source with a lab.yaml of the test's own.
func sourceWith(t *testing.T, yaml string) (machine, *labfile.Lab) {
	t.Helper()
	m := newMachine(t)
	dir := filepath.Join(m.labs, "shop")
	write(t, filepath.Join(dir, "lab.yaml"), yaml, 0o644)
	write(t, filepath.Join(dir, "puppet.bundle"), "# v2 git bundle\nabc refs/heads/main\n\nPACK", 0o600)
	write(t, filepath.Join(dir, "bin/trigger.sh"), "#!/bin/sh\n", 0o700)
	write(t, filepath.Join(dir, ".git/config"), "[core]\n\tfsmonitor = evil\n", 0o644)
	files := t.TempDir()
	write(t, filepath.Join(files, "vmlinuz"), "kernel", 0o644)
	write(t, filepath.Join(files, "initrd"), "initrd", 0o644)
	write(t, filepath.Join(files, "status"), status, 0o644)
	img, err := m.store.Import(context.Background(), "debian-12", images.Files{Disk: imagestest.Disk(t),
		Kernel: filepath.Join(files, "vmlinuz"), Initrd: filepath.Join(files, "initrd"), Status: filepath.Join(files, "status"), KernelRelease: "6.1.0-18-cloud-amd64"})
	if err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(m.cache(), "apt/x/archives/nginx_1.22.1-9_amd64.deb")
	write(t, deb, debData, 0o644)
	pins := map[string]string{"nginx": "1.22.1-9"}
	err = provision.RecordClosure(provision.FetchSpec{Pins: pins, ImageDigest: img.Digest, Status: img.Status, CacheDir: m.cache()},
		[]provision.Deb{{Package: "nginx", Version: "1.22.1-9", Arch: "amd64", Path: deb, SHA256: hexSum([]byte(debData))}})
	if err != nil {
		t.Fatal(err)
	}
	lab, err := labfile.Load(filepath.Join(dir, "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return m, lab
}

func create(t *testing.T) string {
	t.Helper()
	m, lab := source(t)
	out := filepath.Join(t.TempDir(), "shop.tar.gz")
	if _, err := Create(context.Background(), lab, out, CreateOptions{Images: m.store, CacheDir: m.cache()}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	file := create(t)
	dst := newMachine(t)
	r, err := Import(context.Background(), file, dst.importOpts())
	if err != nil {
		t.Fatal(err)
	}
	if r.Manifest.Lab != "shop" || r.LabDir != filepath.Join(dst.labs, "shop") || len(r.Kept) != 0 {
		t.Errorf("result %+v", r)
	}
	for rel, mode := range map[string]os.FileMode{"": 0o755, "lab.yaml": 0o644, "puppet.bundle": 0o644, "bin": 0o755, "bin/trigger.sh": 0o755} {
		st, err := os.Stat(filepath.Join(r.LabDir, rel))
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, %v; want %v", rel, st.Mode().Perm(), err, mode)
		}
	}
	if _, err := os.Stat(filepath.Join(r.LabDir, ".git")); err == nil {
		t.Error("the lab's .git travelled")
	}
	img, err := dst.store.Get("debian-12")
	if err != nil || img.Source != images.SourceImport || img.Kernel == "" || img.Status == "" || img.Manifest.Kernel != "6.1.0-18-cloud-amd64" {
		t.Fatalf("imported image %+v, %v", img, err)
	}
	// The packages are found offline, from the cache's debs/ folder, for
	// this lab: its folder records them.
	spec := provision.FetchSpec{Pins: map[string]string{"nginx": "1.22.1-9"},
		ImageDigest: img.Digest, Status: img.Status, CacheDir: dst.cache(), Offline: true, LabDir: r.LabDir}
	debs, err := provision.Fetch(context.Background(), spec)
	if err != nil || len(debs) != 1 || filepath.Dir(debs[0].Path) != filepath.Join(dst.cache(), "debs") {
		t.Errorf("offline fetch after import: %+v, %v", debs, err)
	}
	if _, err := os.Stat(filepath.Join(dst.cache(), "closures")); err == nil {
		t.Error("import wrote a closure record that every lab reads")
	}
	// The imported lab can be bundled again, offline.
	if _, err := Create(context.Background(), mustLoad(t, r.LabDir), filepath.Join(t.TempDir(), "again.tar.gz"),
		CreateOptions{Images: dst.store, CacheDir: dst.cache()}); err != nil {
		t.Errorf("bundle the imported lab again: %v", err)
	}
	assertNoStaging(t, dst)
	if _, err := Import(context.Background(), file, dst.importOpts()); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("second import: %v, want 'exists already'", err)
	}
}

// A kit step with no repository of the lab's own travels: the kit's
// history is inside vlab. A step whose repository is a URL does not.
func TestKitStepTravels(t *testing.T) {
	kitLab := strings.Replace(labYAML, "      - puppet:\n          repo: puppet.bundle\n          revision: main\n",
		"      - puppet: {kit: kit-1, role: edge}\n", 1)
	if kitLab == labYAML {
		t.Fatal("the kit step was not put in the test's lab")
	}
	m, lab := sourceWith(t, kitLab)
	out := filepath.Join(t.TempDir(), "shop.tar.gz")
	if _, err := Create(context.Background(), lab, out, CreateOptions{Images: m.store, CacheDir: m.cache()}); err != nil {
		t.Fatalf("create with a kit step: %v", err)
	}
	dst := newMachine(t)
	r, err := Import(context.Background(), out, dst.importOpts())
	if err != nil {
		t.Fatalf("import with a kit step: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(r.LabDir, "lab.yaml")); !strings.Contains(string(b), "kit: kit-1") {
		t.Errorf("imported lab.yaml:\n%s", b)
	}

	urlLab := strings.Replace(labYAML, "repo: puppet.bundle", "repo: https://git.example.org/puppet.git", 1)
	m, lab = sourceWith(t, urlLab)
	_, err = Create(context.Background(), lab, filepath.Join(t.TempDir(), "x.tar.gz"), CreateOptions{Images: m.store, CacheDir: m.cache()})
	if err == nil || !strings.Contains(err.Error(), "cannot travel in a bundle") {
		t.Errorf("create with a URL repo: %v, want 'cannot travel in a bundle'", err)
	}
}

func TestCreateRefusesSymlinks(t *testing.T) {
	m, lab := source(t)
	os.Symlink("/etc/passwd", filepath.Join(lab.Dir, "leak"))
	out := filepath.Join(t.TempDir(), "x.tar.gz")
	_, err := Create(context.Background(), lab, out, CreateOptions{Images: m.store, CacheDir: m.cache()})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Create with a symlink in the lab = %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
}

func mustLoad(t *testing.T, dir string) *labfile.Lab {
	t.Helper()
	lab, err := labfile.Load(filepath.Join(dir, labfile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

func assertNoStaging(t *testing.T, m machine) {
	t.Helper()
	if ents, _ := os.ReadDir(filepath.Join(m.home, "staging")); len(ents) != 0 {
		t.Errorf("staging left: %v", ents)
	}
}

// assertUntouched checks that a refused import left nothing anywhere.
func assertUntouched(t *testing.T, m machine) {
	t.Helper()
	assertNoStaging(t, m)
	for _, d := range []string{m.labs, m.store.Dir, m.cache()} {
		if ents, _ := os.ReadDir(d); len(ents) != 0 {
			t.Errorf("%s holds %v after a refused import", d, ents)
		}
	}
}

// entry is one file of a hand-made bundle.
type entry struct {
	name, data string
	typ        byte
}

// forge writes a bundle with manifest m and entries, as an attacker would.
func forge(t *testing.T, m any, entries ...entry) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	man, _ := json.Marshal(m)
	tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(man))})
	tw.Write(man)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: e.typ, Linkname: "/etc/passwd"}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		} else {
			h.Size = 0
		}
		tw.WriteHeader(h)
		if h.Size > 0 {
			tw.Write([]byte(e.data))
		}
	}
	tw.Close()
	gz.Close()
	p := filepath.Join(t.TempDir(), "evil.tar.gz")
	write(t, p, buf.String(), 0o644)
	return p
}

// plainLab is a lab with no provisioning and no image to bring.
var plainLab = []entry{{name: "lab/lab.yaml", data: "name: shop\ntitle: Shop\nvms:\n  - name: web\n    image: debian-12\n"}}

func plainManifest() Manifest { return Manifest{Format: Format, Lab: "shop", Created: time.Now()} }

func TestCreateCancelled(t *testing.T) {
	m, lab := source(t)
	out := filepath.Join(t.TempDir(), "shop.tar.gz")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Create(ctx, lab, out, CreateOptions{Images: m.store, CacheDir: m.cache()}); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled create: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
		t.Errorf("a cancelled create left %v", ents)
	}
}

func TestManifestDebs(t *testing.T) {
	m := &Manifest{Packages: []Closure{{Debs: make([]Deb, 2)}, {Debs: make([]Deb, 3)}}}
	if got := m.Debs(); got != 5 {
		t.Errorf("Debs() = %d, want 5", got)
	}
}
