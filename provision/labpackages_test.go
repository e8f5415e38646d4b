package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/internal/digest"
	"github.com/vlab-dev/vlab/labfile"
)

// storeDeb puts data in the cache's store as a bundle import does and
// returns its record.
func storeDeb(t *testing.T, cache, pkg, version, arch, data string) Deb {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.deb")
	os.WriteFile(p, []byte(data), 0o644)
	_, sum, err := digest.File(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(DebStore(cache), 0o755)
	if err := os.Rename(p, storePath(cache, sum)); err != nil {
		t.Fatal(err)
	}
	return Deb{Package: pkg, Version: version, Arch: arch, SHA256: sum}
}

// A lab's own record is used for that lab only: another lab, or a fetch
// for no lab, never sees it.
func TestLabClosureIsTheLabsAlone(t *testing.T) {
	cache, lab, other := t.TempDir(), t.TempDir(), t.TempDir()
	spec := FetchSpec{Pins: map[string]string{"nginx": "1.22.1-9"}, ImageDigest: "sha256:img", Status: writeStatus(t),
		CacheDir: cache, Arch: "amd64", Offline: true}
	c, err := NewLabClosure(spec, []Deb{storeDeb(t, cache, "nginx", "1.22.1-9", "amd64", "the bundle's nginx")})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLabPackages(lab, []LabClosure{c}); err != nil {
		t.Fatal(err)
	}
	if err := WriteLabPackages(lab, []LabClosure{c}); err == nil {
		t.Error("a second record replaced the first")
	}
	ctx := context.Background()
	spec.LabDir = lab
	debs, err := Fetch(ctx, spec)
	if err != nil || len(debs) != 1 || debs[0].Path != storePath(cache, c.Debs[0].SHA256) {
		t.Fatalf("fetch for the lab: %+v, %v", debs, err)
	}
	for _, dir := range []string{"", other} {
		spec.LabDir = dir
		if _, err := Fetch(ctx, spec); err == nil || !strings.Contains(err.Error(), "not in the cache") {
			t.Errorf("fetch for lab %q: %v; want the lab's record unseen", dir, err)
		}
	}
	os.WriteFile(debs[0].Path, []byte("changed"), 0o644)
	spec.LabDir = lab
	if _, err := Fetch(ctx, spec); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("fetch with a changed store file: %v", err)
	}
}

func TestNewLabClosureRefuses(t *testing.T) {
	cache := t.TempDir()
	nginx := storeDeb(t, cache, "nginx", "1.22.1-9", "amd64", "nginx")
	common := storeDeb(t, cache, "nginx-common", "1.22.1-9", "all", "common")
	for _, c := range []struct {
		name string
		debs []Deb
		want string
	}{
		{"the pin is missing", []Deb{common}, "pinned nginx 1.22.1-9 is not among"},
		{"another version", []Deb{{Package: "nginx", Version: "1.99-1", Arch: "amd64", SHA256: nginx.SHA256}}, "pinned nginx"},
		{"another architecture", []Deb{{Package: "nginx", Version: "1.22.1-9", Arch: "arm64", SHA256: nginx.SHA256}}, "built for arm64"},
		{"a package twice", []Deb{nginx, common, nginx}, "comes twice"},
		{"a bad digest", []Deb{{Package: "nginx", Version: "1.22.1-9", Arch: "amd64", SHA256: "../../x"}}, "not a package file"},
		{"an escape sequence", []Deb{{Package: "nginx\x1b]52;c;x\x07", Version: "1.22.1-9", Arch: "amd64", SHA256: nginx.SHA256}}, "not a package file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := FetchSpec{Pins: map[string]string{"nginx": "1.22.1-9"}, ImageDigest: "sha256:img", Status: writeStatus(t),
				CacheDir: cache, Arch: "amd64"}
			_, err := NewLabClosure(spec, c.debs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("NewLabClosure = %v, want %q", err, c.want)
			}
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("the error carries an escape sequence: %q", err)
			}
		})
	}
	// A pin the image has at its version needs no package.
	spec := FetchSpec{Pins: map[string]string{"nginx": "1.22.1-9"}, ImageDigest: "sha256:img", Status: writeStatus(t, "nginx", "1.22.1-9"),
		CacheDir: cache, Arch: "amd64"}
	if _, err := NewLabClosure(spec, nil); err != nil {
		t.Errorf("pin the image has: %v", err)
	}
}

// Two labs whose debs/ folders list the same names, sizes and times do not
// share a closure record.
func TestDebDirKeyIsPerLab(t *testing.T) {
	when := time.Unix(1700000000, 0)
	key := func(dir, data string) string {
		os.WriteFile(filepath.Join(dir, "nginx_1.22.1-9_amd64.deb"), []byte(data), 0o644)
		os.Chtimes(filepath.Join(dir, "nginx_1.22.1-9_amd64.deb"), when, when)
		spec := FetchSpec{Pins: map[string]string{"nginx": "1.22.1-9"}, ImageDigest: "d", Status: writeStatus(t), CacheDir: t.TempDir(), DebDir: dir}
		if err := spec.fill(); err != nil {
			t.Fatal(err)
		}
		k, err := spec.closureKey()
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if a, b := key(t.TempDir(), "mine"), key(t.TempDir(), "evil"); a == b {
		t.Errorf("two labs' debs/ share closure key %s", a)
	}
}

// Two labs of one name and one lab.yaml whose packages come from different
// files have different golden keys, so neither adopts the other's state.
func TestGoldenKeyOfTwoLabsPackages(t *testing.T) {
	when := time.Unix(1700000000, 0)
	twin := func(deb string) string {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "debs"), 0o755)
		os.WriteFile(filepath.Join(dir, "debs/nginx.deb"), []byte(deb), 0o644)
		os.Chtimes(filepath.Join(dir, "debs/nginx.deb"), when, when)
		lab := &labfile.Lab{Name: "shop", Dir: dir, VMs: []labfile.VM{{Name: "web", Image: "debian-12",
			Provision: []labfile.Step{{Packages: map[string]string{"nginx": "1.22.1-9"}}}}}}
		return goldenKey(t, lab, "sha256:img1")
	}
	if a, b := twin("mine"), twin("evil"); a == b {
		t.Errorf("two labs with different debs/ share golden key %s", a)
	}
}
