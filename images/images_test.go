package images

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images/imagestest"
)

func sum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestRecipeDigest(t *testing.T) {
	r, err := Lookup("debian-12")
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Digest()
	if err != nil || len(a) != 64 {
		t.Fatalf("digest %q, %v", a, err)
	}
	b, _ := r.Digest()
	if a != b {
		t.Error("the same recipe gave two digests")
	}
	r.Packages = append(append([]string(nil), r.Packages...), "htop")
	if c, _ := r.Digest(); c == a {
		t.Error("a recipe with another package list has the same digest")
	}
	if _, err := Lookup("centos"); err == nil || !strings.Contains(err.Error(), "debian-12") {
		t.Errorf("unknown recipe: %v", err)
	}
}

func TestImport(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	disk := imagestest.Disk(t)
	img, err := s.Import(context.Background(), "mine", Files{Disk: disk})
	if err != nil {
		t.Fatal(err)
	}
	if img.Digest != sum(t, disk) || img.Source != SourceImport || filepath.Base(img.Dir) != "imported-"+img.Digest {
		t.Errorf("imported %+v in %s", img.Manifest, img.Dir)
	}
	if st, _ := os.Stat(img.Dir); st.Mode().Perm() != 0o755 {
		t.Errorf("image folder mode %v", st.Mode())
	}
	got, err := s.Get("mine")
	if err != nil || got.Disk != img.Disk {
		t.Fatalf("Get: %v, %v", got, err)
	}
	if left, _ := filepath.Glob(filepath.Join(s.Dir, ".import-*")); len(left) > 0 {
		t.Errorf("staging left: %v", left)
	}
}

// An imported image, whatever its name and wherever it sits, never stands
// for a recipe: `vlab images build debian-12` must build, not say "ready".
func TestImportedNeverSatisfiesBuild(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	r, _ := Lookup("debian-12")
	if _, err := s.Import(context.Background(), "debian-12", Files{Disk: imagestest.Disk(t)}); err != nil {
		t.Fatal(err)
	}
	if img, err := s.Built(r); !errors.Is(err, ErrNotFound) {
		t.Errorf("an imported debian-12 satisfies the recipe: %v, %v", img, err)
	}
	// A folder planted under the recipe's own name, as older bundle
	// imports allowed, does not count either.
	digest, _ := r.Digest()
	planted := filepath.Join(s.Dir, "sha256-"+digest)
	os.MkdirAll(planted, 0o755)
	writeManifest(planted, &Manifest{Name: "debian-12", Digest: digest, Source: SourceImport})
	if img, err := s.Built(r); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrBroken) {
		t.Errorf("a planted folder satisfies the recipe: %v, %v", img, err)
	}
	writeManifest(planted, &Manifest{Name: "debian-12", Digest: digest, Source: SourceBuild, Recipe: &r})
	if _, err := s.Built(r); err != nil {
		t.Errorf("a built folder: %v", err)
	}
}

func TestImportRefusesOtherFiles(t *testing.T) {
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	os.WriteFile(secret, []byte("root:$6$hash:19000:0:99999:7:::\n"), 0o600)
	backed := filepath.Join(dir, "backed.qcow2")
	dataFile := filepath.Join(dir, "datafile.qcow2")
	for _, args := range [][]string{
		{"create", "-q", "-f", "qcow2", "-F", "raw", "-b", secret, backed},
		{"create", "-q", "-f", "qcow2", "-o", "data_file=" + filepath.Join(dir, "data.raw"), dataFile, "1M"},
	} {
		if out, err := exec.Command("qemu-img", args...).CombinedOutput(); err != nil {
			t.Fatalf("qemu-img %v: %v: %s", args, err, out)
		}
	}
	raw := filepath.Join(dir, "disk.raw")
	os.WriteFile(raw, make([]byte, 4096), 0o644)
	for _, c := range []struct{ disk, want string }{
		{backed, "backing file"},
		{dataFile, "keeps its data in another file"},
		{raw, "not a qcow2 image"},
	} {
		s := &Store{Dir: t.TempDir()}
		_, err := s.Import(context.Background(), "x", Files{Disk: c.disk})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("import %s: %v, want %q", filepath.Base(c.disk), err, c.want)
		}
		if ents, _ := os.ReadDir(s.Dir); len(ents) != 0 {
			t.Errorf("import %s left %v", filepath.Base(c.disk), ents)
		}
	}
	// A box is refused as well: it would carry the secret's bytes.
	img := &Image{Manifest: Manifest{Name: "x"}, Disk: backed, Kernel: secret, Initrd: secret}
	out := filepath.Join(dir, "x.box")
	if err := img.PackBox(context.Background(), out, nil); err == nil || !strings.Contains(err.Error(), "backing file") {
		t.Errorf("PackBox of a disk with a backing file: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a box was written")
	}
}

func TestImportCancelled(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Import(ctx, "x", Files{Disk: imagestest.Disk(t)}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: %v", err)
	}
	if _, err := s.Get("x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a cancelled import left a tag: %v", err)
	}
}

func TestDanglingTags(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ctx := context.Background()
	disk := imagestest.Disk(t)
	if _, err := s.Import(ctx, "good", Files{Disk: disk}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(s.Dir, "tags", "gone"), []byte(strings.Repeat("ab", 32)+"\n"), 0o644)
	os.WriteFile(filepath.Join(s.Dir, "tags", "junk"), []byte("../../etc\n"), 0o644)
	ents, err := s.Entries()
	if err != nil || len(ents) != 3 {
		t.Fatalf("entries %+v, %v", ents, err)
	}
	for _, e := range ents {
		if (e.Name == "good") != (e.Err == nil) {
			t.Errorf("entry %s: %v", e.Name, e.Err)
		}
	}
	if imgs, err := s.List(); err != nil || len(imgs) != 1 {
		t.Errorf("List with dangling tags: %d images, %v", len(imgs), err)
	}
	for _, name := range []string{"gone", "junk"} {
		r, err := s.Remove(name)
		if err != nil || !r.Tag || r.Broken == nil {
			t.Errorf("remove %s: %+v, %v", name, r, err)
		}
	}
	if r, err := s.Remove("gone"); err != nil || r.Tag {
		t.Errorf("second remove: %+v, %v", r, err)
	}
	if ents, _ := s.Entries(); len(ents) != 1 {
		t.Errorf("left %+v", ents)
	}
}

func TestRemoveKeepsSharedFolder(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	ctx := context.Background()
	disk := imagestest.Disk(t)
	a, _ := s.Import(ctx, "a", Files{Disk: disk})
	if _, err := s.Import(ctx, "b", Files{Disk: disk}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Remove("a"); err != nil || r.Folder != "" {
		t.Errorf("remove a: %+v, %v", r, err)
	}
	if r, err := s.Remove("b"); err != nil || r.Folder != a.Dir {
		t.Errorf("remove b: %+v, %v", r, err)
	}
	if _, err := os.Stat(a.Dir); !os.IsNotExist(err) {
		t.Errorf("folder kept: %v", err)
	}
}

func TestLegacyTag(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	d := strings.Repeat("cd", 32)
	dir := filepath.Join(s.Dir, "sha256-"+d)
	os.MkdirAll(dir, 0o755)
	writeManifest(dir, &Manifest{Name: "old", Digest: d, Source: SourceBuild})
	os.MkdirAll(filepath.Join(s.Dir, "tags"), 0o755)
	os.WriteFile(filepath.Join(s.Dir, "tags", "old"), []byte(d+"\n"), 0o644)
	if img, err := s.Get("old"); err != nil || img.Dir != dir {
		t.Errorf("legacy tag: %v, %v", img, err)
	}
}
