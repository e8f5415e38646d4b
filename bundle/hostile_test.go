package bundle

import (
	"archive/tar"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
	"github.com/vlab-dev/vlab/internal/debfile/debtest"
	"github.com/vlab-dev/vlab/provision"
)

// Each bundle here was accepted before, and planted a file in a shared
// cache or elsewhere; now each is refused and leaves nothing.
func TestImportRefusesHostileBundles(t *testing.T) {
	recipe, _ := images.Lookup("debian-12")
	recipeDigest, _ := recipe.Digest()
	disk, err := os.ReadFile(imagestest.Disk(t))
	if err != nil {
		t.Fatal(err)
	}
	withImage := plainManifest()
	withImage.Images = []Image{{Name: "debian-12", Files: []File{{Name: images.DiskFile, Size: int64(len(disk)), SHA256: hexSum(disk)}}}}
	diskEntry := entry{name: "images/debian-12/disk.qcow2", data: string(disk)}
	unused := plainManifest()
	unused.Images = []Image{{Name: "other", Files: withImage.Images[0].Files}}
	for _, c := range []struct {
		name    string
		m       any
		entries []entry
		want    string
	}{
		{"git mirror config in the git cache", plainManifest(),
			append(plainLab, entry{name: "cache/git/0123/config", data: "[core]\n\tfsmonitor = touch /tmp/pwned\n"}), "not in its manifest"},
		{"apt configuration fragment", plainManifest(),
			append(plainLab, entry{name: "cache/apt/5d1c0f6e3a2b9c47/etc/parts/99evil", data: `APT::Update::Pre-Invoke {"touch /tmp/pwned";};`}), "not in its manifest"},
		{"an image folder under a recipe's digest", plainManifest(),
			append(plainLab, entry{name: "images/sha256-" + recipeDigest + "/manifest.json", data: `{"source":"mmdebstrap"}`}), "not in its manifest"},
		{"an image file with another digest", withImage,
			append(plainLab, entry{name: diskEntry.name, data: strings.Repeat("x", len(disk))}), "sha256"},
		{"an image file the manifest lacks", withImage,
			append(plainLab, diskEntry, entry{name: "images/debian-12/vmlinuz", data: "k"}), "not in its manifest"},
		{"an image the lab does not boot", unused,
			append(plainLab, entry{name: "images/other/disk.qcow2", data: string(disk)}), "booted by no VM"},
		{"a manifest image without its files", withImage, plainLab, "lacks images/debian-12/disk.qcow2"},
		{"git metadata in the lab", plainManifest(), append(plainLab, entry{name: "lab/.git/config", data: "[core]\n"}), "no .git"},
		{"a lab path escaping", plainManifest(), append(plainLab, entry{name: "lab/../../evil", data: "x"}), "escapes"},
		{"an absolute path", plainManifest(), append(plainLab, entry{name: "/etc/evil", data: "x"}), "not in its manifest"},
		{"a symlink", plainManifest(), append(plainLab, entry{name: "lab/link", typ: tar.TypeSymlink}), "not a regular file"},
		{"a file twice", plainManifest(), append(plainLab, plainLab...), "twice"},
		{"no lab", plainManifest(), nil, "no lab/lab.yaml"},
		{"an escape sequence in the lab name", map[string]any{"format": Format, "lab": "x\x1b]52;c;cm0gLXJmIH4=\x07"}, plainLab, "not a lab name"},
		{"a lab name that is a path", map[string]any{"format": Format, "lab": "../../x"}, plainLab, "not a lab name"},
		{"another lab than the manifest's", map[string]any{"format": Format, "lab": "other"}, plainLab, `differs from the lab's folder "other"`},
		{"an unknown manifest field", map[string]any{"format": Format, "lab": "shop", "hooks": []string{"x"}}, plainLab, "unknown field"},
		{"format 1", map[string]any{"format": 1, "lab": "shop"}, plainLab, "create the bundle again"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMachine(t)
			_, err := Import(context.Background(), forge(t, c.m, c.entries...), m.importOpts())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("import: %v, want %q", err, c.want)
			}
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("the error carries an escape sequence: %q", err)
			}
			assertUntouched(t, m)
			if _, err := m.store.Built(recipe); err == nil {
				t.Error("images build would say ready")
			}
		})
	}
}

// A disk with a backing file would read a host file (here a stand-in for
// /etc/shadow) into the VM and into any box made from it.
func TestImportRefusesBackingFile(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "shadow")
	write(t, secret, "root:$6$x:19000:0:99999:7:::\n", 0o600)
	overlay := filepath.Join(dir, "overlay.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret, overlay).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v: %s", err, out)
	}
	disk, _ := os.ReadFile(overlay)
	man := plainManifest()
	man.Images = []Image{{Name: "debian-12", Files: []File{{Name: images.DiskFile, Size: int64(len(disk)), SHA256: hexSum(disk)}}}}
	m := newMachine(t)
	_, err := Import(context.Background(), forge(t, man, append(plainLab, entry{name: "images/debian-12/disk.qcow2", data: string(disk)})...), m.importOpts())
	if err == nil || !strings.Contains(err.Error(), "backing file") {
		t.Fatalf("import: %v, want a refused backing file", err)
	}
	assertUntouched(t, m)
}

// An imported image, even under the recipe's name, never makes `vlab
// images build debian-12` say ready.
func TestImportedImageIsNotBuilt(t *testing.T) {
	file := create(t)
	dst := newMachine(t)
	if _, err := Import(context.Background(), file, dst.importOpts()); err != nil {
		t.Fatal(err)
	}
	recipe, _ := images.Lookup("debian-12")
	if img, err := dst.store.Built(recipe); err == nil {
		t.Errorf("the imported image stands for the recipe: %s", img.Dir)
	}
}

func TestImportLimits(t *testing.T) {
	big := strings.Repeat("0", 3<<20) // a bomb: compresses to a few KB
	for _, c := range []struct {
		name string
		lim  Limits
		want string
	}{
		{"per entry", Limits{Entry: 1 << 20, Total: 1 << 30, Files: 100}, "files up to 1 MB"},
		{"in total", Limits{Entry: 4 << 20, Total: 2 << 20, Files: 100}, "more than 2 MB"},
		{"files", Limits{Entry: 4 << 20, Total: 1 << 30, Files: 1}, "more than 1 files"},
		{"free space", Limits{Entry: 4 << 20, Total: 1 << 30, Files: 100, Reserve: 1 << 60}, "free"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMachine(t)
			opt := m.importOpts()
			opt.Limits = c.lim
			_, err := Import(context.Background(), forge(t, plainManifest(), append(plainLab, entry{name: "lab/big", data: big})...), opt)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("import: %v, want %q", err, c.want)
			}
			assertUntouched(t, m)
		})
	}
}

func TestImportCancelled(t *testing.T) {
	file := create(t)
	m := newMachine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Import(ctx, file, m.importOpts()); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("cancelled import: %v", err)
	}
	assertUntouched(t, m)
}

// A killed import leaves its staging folder under VLAB_HOME (never in the
// labs folder); the next import removes it.
func TestImportCleansKilledImport(t *testing.T) {
	file := create(t)
	m := newMachine(t)
	stale := filepath.Join(m.home, "staging", "bundle-import-4242")
	write(t, filepath.Join(stale, "files/images/debian-12/disk.qcow2"), strings.Repeat("x", 1<<20), 0o644)
	write(t, filepath.Join(stale, "lab/lab.yaml"), "name: ghost\n", 0o644)
	write(t, stale+".lock", "", 0o600)
	if _, err := Import(context.Background(), file, m.importOpts()); err != nil {
		t.Fatal(err)
	}
	assertNoStaging(t, m)
	if ents, _ := os.ReadDir(m.labs); len(ents) != 1 || ents[0].Name() != "shop" {
		t.Errorf("labs folder holds %v", ents)
	}
}

// nginxPins are the pins of shop's packages step.
var nginxPins = map[string]string{"nginx": "1.22.1-9"}

// packagesLab is a lab of name whose web VM installs nginx 1.22.1-9.
func packagesLab(name string) entry {
	return entry{name: "lab/lab.yaml", data: "name: " + name + "\ntitle: T\nvms:\n  - name: web\n    image: debian-12\n    provision:\n      - packages:\n          nginx: 1.22.1-9\n"}
}

// claim lists data in a manifest as package pkg version arch.
func claim(pkg, version, arch string, data []byte) Deb {
	return Deb{Package: pkg, Version: version, Arch: arch, Size: int64(len(data)), SHA256: hexSum(data)}
}

func debEntry(data []byte) entry {
	return entry{name: "debs/" + hexSum(data) + ".deb", data: string(data)}
}

// withDebianImage adds debian-12 (disk and dpkg status) to a manifest and
// returns its entries.
func withDebianImage(t *testing.T, man *Manifest) []entry {
	t.Helper()
	disk, err := os.ReadFile(imagestest.Disk(t))
	if err != nil {
		t.Fatal(err)
	}
	man.Images = []Image{{Name: "debian-12", Files: []File{
		{Name: images.DiskFile, Size: int64(len(disk)), SHA256: hexSum(disk)},
		{Name: images.StatusFile, Size: int64(len(status)), SHA256: hexSum([]byte(status))}}}}
	return []entry{{name: "images/debian-12/disk.qcow2", data: string(disk)}, {name: "images/debian-12/dpkg-status", data: status}}
}

// A bundle of another lab brings its own nginx 1.22.1-9 for the image and
// pins a lab on this machine fetched before. It is the bundle's lab's
// alone: the other lab (through its closure record) and a later fetch for
// any lab but the bundle's never install it.
func TestImportCannotChangeOtherLabsPackages(t *testing.T) {
	m, _ := source(t) // this machine: debian-12 and shop's nginx closure
	img, _ := m.store.Get("debian-12")
	records, _ := filepath.Glob(filepath.Join(m.cache(), "closures", "*"))
	before := map[string]string{}
	for _, r := range records {
		b, _ := os.ReadFile(r)
		before[r] = string(b)
	}
	evil := debtest.Deb(debtest.Control("nginx", "1.22.1-9", "amd64"), "xz", "EVIL")
	man := plainManifest()
	man.Lab = "evil"
	man.Packages = []Closure{{Image: "debian-12", Pins: nginxPins, Debs: []Deb{claim("nginx", "1.22.1-9", "amd64", evil)}}}
	r, err := Import(context.Background(), forge(t, man, packagesLab("evil"), debEntry(evil)), m.importOpts())
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	fetch := func(labDir string) string {
		t.Helper()
		debs, err := provision.Fetch(context.Background(), provision.FetchSpec{Pins: nginxPins,
			ImageDigest: img.Digest, Status: img.Status, CacheDir: m.cache(), Offline: true, LabDir: labDir})
		if err != nil || len(debs) != 1 {
			t.Fatalf("fetch for lab %q: %+v, %v", labDir, debs, err)
		}
		b, _ := os.ReadFile(debs[0].Path)
		return string(b)
	}
	if got := fetch(""); got != debData {
		t.Error("a fetch for no lab in particular installs the bundle's nginx")
	}
	if got := fetch(filepath.Join(m.labs, "shop")); got != debData {
		t.Error("another lab's nginx is now the bundle's")
	}
	if got := fetch(r.LabDir); got != string(evil) {
		t.Error("the bundle's own lab does not get the nginx its bundle brought")
	}
	after, _ := filepath.Glob(filepath.Join(m.cache(), "closures", "*"))
	if len(after) != len(records) {
		t.Errorf("closure records %v, were %v", after, records)
	}
	for p, was := range before {
		if b, _ := os.ReadFile(p); string(b) != was {
			t.Errorf("closure record %s changed", p)
		}
	}

	// On a machine that has fetched nothing, the bundle's packages are
	// not found for any other lab either.
	dst := newMachine(t)
	man.Packages[0].Debs = []Deb{claim("nginx", "1.22.1-9", "amd64", evil)}
	imgEntries := withDebianImage(t, &man)
	r, err = Import(context.Background(), forge(t, man, append(imgEntries, packagesLab("evil"), debEntry(evil))...), dst.importOpts())
	if err != nil {
		t.Fatalf("import on a new machine: %v", err)
	}
	img, _ = dst.store.Get("debian-12")
	_, err = provision.Fetch(context.Background(), provision.FetchSpec{Pins: nginxPins,
		ImageDigest: img.Digest, Status: img.Status, CacheDir: dst.cache(), Offline: true})
	if err == nil || !strings.Contains(err.Error(), "not in the cache") {
		t.Errorf("a later fetch for another lab: %v; want the bundle's nginx unseen", err)
	}
}

// Each .deb is the package its manifest says, by its own control fields,
// and each package set installs its pins; a bundle that lies is refused
// and leaves nothing.
func TestImportRefusesLyingDebs(t *testing.T) {
	deb := func(pkg, version, arch string) []byte {
		return debtest.Deb(debtest.Control(pkg, version, arch), "xz", pkg+version+arch)
	}
	nginx, libc := deb("nginx", "1.22.1-9", "amd64"), deb("libc6", "2.36-9", "amd64")
	for _, c := range []struct {
		name    string
		debs    []Deb
		entries []entry
		want    string
	}{
		{"another package", []Deb{claim("nginx", "1.22.1-9", "amd64", libc)}, []entry{debEntry(libc)},
			"control fields say libc6 2.36-9 amd64, its manifest says nginx 1.22.1-9 amd64"},
		{"another version", []Deb{claim("nginx", "1.22.1-9", "amd64", deb("nginx", "1.22.1-8", "amd64"))},
			[]entry{debEntry(deb("nginx", "1.22.1-8", "amd64"))}, "control fields say nginx 1.22.1-8"},
		{"another architecture", []Deb{claim("nginx", "1.22.1-9", "amd64", deb("nginx", "1.22.1-9", "arm64"))},
			[]entry{debEntry(deb("nginx", "1.22.1-9", "arm64"))}, "control fields say nginx 1.22.1-9 arm64"},
		{"not a package", []Deb{claim("nginx", "1.22.1-9", "amd64", []byte("!<arch>\nevil"))},
			[]entry{debEntry([]byte("!<arch>\nevil"))}, "not a Debian package"},
		{"one file as two packages", []Deb{claim("nginx", "1.22.1-9", "amd64", nginx), claim("libc6", "2.36-9", "amd64", nginx)},
			[]entry{debEntry(nginx)}, "is listed as nginx 1.22.1-9 amd64 and as libc6"},
		{"a package set without its pin", []Deb{claim("libc6", "2.36-9", "amd64", libc)}, []entry{debEntry(libc)},
			"pinned nginx 1.22.1-9 is not among the packages"},
		{"a package for another machine", []Deb{claim("nginx", "1.22.1-9", "s390x", deb("nginx", "1.22.1-9", "s390x"))},
			[]entry{debEntry(deb("nginx", "1.22.1-9", "s390x"))}, "built for s390x"},
		{"a record of its own", []Deb{claim("nginx", "1.22.1-9", "amd64", nginx)},
			[]entry{debEntry(nginx), {name: "lab/bundle-packages.json", data: `{"closures":[]}`}}, "cannot carry it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMachine(t)
			man := plainManifest()
			man.Packages = []Closure{{Image: "debian-12", Pins: nginxPins, Debs: c.debs}}
			entries := append(withDebianImage(t, &man), packagesLab("shop"))
			_, err := Import(context.Background(), forge(t, man, append(entries, c.entries...)...), m.importOpts())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("import: %v, want %q", err, c.want)
			}
			assertUntouched(t, m)
		})
	}
}

// A file under a .deb's name in the store that is not that .deb is
// damaged: import replaces it, and the lab gets the real one.
func TestImportReplacesDamagedStoreFile(t *testing.T) {
	file := create(t)
	dst := newMachine(t)
	damaged := filepath.Join(dst.cache(), "debs", hexSum([]byte(debData))+".deb")
	write(t, damaged, "damaged", 0o644)
	r, err := Import(context.Background(), file, dst.importOpts())
	if err != nil {
		t.Fatal(err)
	}
	img, _ := dst.store.Get("debian-12")
	debs, err := provision.Fetch(context.Background(), provision.FetchSpec{Pins: nginxPins,
		ImageDigest: img.Digest, Status: img.Status, CacheDir: dst.cache(), Offline: true, LabDir: r.LabDir})
	if err != nil || len(debs) != 1 {
		t.Fatalf("fetch: %+v, %v", debs, err)
	}
	if b, _ := os.ReadFile(debs[0].Path); string(b) != debData {
		t.Error("the damaged file was kept")
	}
}
