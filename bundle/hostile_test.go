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
