package provision

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeDeb builds a real, tiny Debian package in dir with dpkg-deb.
func makeDeb(t *testing.T, dir, name, version, depends string) string {
	t.Helper()
	root := t.TempDir()
	control := fmt.Sprintf("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: vlab <vlab@example.org>\nDescription: vlab test package\n", name, version)
	if depends != "" {
		control += "Depends: " + depends + "\n"
	}
	os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/share/"+name), 0o755)
	os.WriteFile(filepath.Join(root, "DEBIAN/control"), []byte(control), 0o644)
	os.WriteFile(filepath.Join(root, "usr/share/"+name+"/version"), []byte(version), 0o644)
	_, plain, _ := strings.Cut(version, ":")
	if plain == "" {
		plain = version
	}
	out := filepath.Join(dir, name+"_"+plain+"_all.deb")
	if b, err := exec.Command("dpkg-deb", "--root-owner-group", "--build", root, out).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v\n%s", err, b)
	}
	return out
}

func debSummary(debs []Deb) string {
	var s []string
	for _, d := range debs {
		s = append(s, d.Package+"="+d.Version)
	}
	return strings.Join(s, " ")
}

// TestFetchFromDebDir resolves a closure from a directory of .debs with no
// network: a dependency is pulled in, what the image has is not.
func TestFetchFromDebDir(t *testing.T) {
	needTools(t, "apt-get", "dpkg-deb")
	debDir := t.TempDir()
	makeDeb(t, debDir, "vlab-a", "1.0-1", "vlab-b (>= 2.0~), vlab-c")
	makeDeb(t, debDir, "vlab-b", "2.0-1", "")
	makeDeb(t, debDir, "vlab-b", "2.0~rc1-1", "")
	makeDeb(t, debDir, "vlab-c", "1:3.0-1", "")
	spec := FetchSpec{
		Pins:        map[string]string{"vlab-a": "1.0-1"},
		ImageDigest: "sha256:image",
		Status:      writeStatus(t, "vlab-c", "1:3.0-1"),
		CacheDir:    t.TempDir(),
		DebDir:      debDir,
		Offline:     true,
	}
	ctx := context.Background()
	debs, err := Fetch(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := debSummary(debs); got != "vlab-b=2.0-1 vlab-a=1.0-1" {
		t.Errorf("closure = %q, want the newest vlab-b and vlab-a, not vlab-c", got)
	}
	for _, d := range debs {
		if out, err := exec.Command("dpkg-deb", "-f", d.Path, "Package").Output(); err != nil || strings.TrimSpace(string(out)) != d.Package {
			t.Errorf("%s is not the .deb of %s: %v", d.Path, d.Package, err)
		}
	}

	spec.Pins = map[string]string{"vlab-a": "1.0-1", "vlab-b": "2.0~rc1-1"}
	if debs, err = Fetch(ctx, spec); err != nil || debSummary(debs) != "vlab-b=2.0~rc1-1 vlab-a=1.0-1" {
		t.Errorf("with vlab-b pinned: %q, %v", debSummary(debs), err)
	}

	spec.Pins = map[string]string{"vlab-a": "1.0-2"}
	_, err = Fetch(ctx, spec)
	if err == nil || !strings.Contains(err.Error(), "pinned vlab-a 1.0-2 but the apt sources only have 1.0-1") {
		t.Errorf("missing version: %v", err)
	}
}

// TestFetchOlderThanTheImage: a pin older than the version the image has
// (the image carries the mirror's newest, the lab the day's) resolves to
// the older .deb; apt's simulation refused it as a downgrade (seen when
// Debian's nginx 1.22.1-9+deb12u12 reached the image).
func TestFetchOlderThanTheImage(t *testing.T) {
	needTools(t, "apt-get", "dpkg-deb")
	debDir := t.TempDir()
	makeDeb(t, debDir, "vlab-d", "1.0-1", "")
	spec := FetchSpec{Pins: map[string]string{"vlab-d": "1.0-1"}, ImageDigest: "sha256:image",
		Status: writeStatus(t, "vlab-d", "2.0-1"), CacheDir: t.TempDir(), DebDir: debDir, Offline: true}
	debs, err := Fetch(context.Background(), spec)
	if err != nil || debSummary(debs) != "vlab-d=1.0-1" {
		t.Fatalf("closure = %q, %v; want the pinned older vlab-d", debSummary(debs), err)
	}
}

// TestFetchRecordedClosureIsOffline checks that a second Fetch needs no
// tools and no network, and notices a changed cache.
func TestFetchRecordedClosureIsOffline(t *testing.T) {
	needTools(t, "apt-get", "dpkg-deb")
	debDir := t.TempDir()
	makeDeb(t, debDir, "vlab-a", "1.0-1", "")
	spec := FetchSpec{Pins: map[string]string{"vlab-a": "1.0-1"}, ImageDigest: "d", Status: writeStatus(t),
		CacheDir: t.TempDir(), DebDir: debDir}
	first, err := Fetch(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "")
	second, err := Fetch(context.Background(), spec)
	if err != nil || debSummary(second) != debSummary(first) || second[0].Path != first[0].Path {
		t.Fatalf("second fetch = %+v, %v; want %+v from the record", second, err, first)
	}
	os.WriteFile(first[0].Path, []byte("tampered"), 0o644)
	if _, err := Fetch(context.Background(), spec); err == nil {
		t.Error("a changed cached .deb was used; want a new resolution (which fails here without apt-get)")
	}
}

func TestFetchOfflineWithoutRecord(t *testing.T) {
	spec := FetchSpec{Pins: map[string]string{"tree": "2.1.0-1"}, ImageDigest: "sha256:abc", Status: writeStatus(t),
		CacheDir: t.TempDir(), Offline: true}
	_, err := Fetch(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "packages tree for image sha256:abc are not in the cache and vlab is offline") {
		t.Errorf("err = %v", err)
	}
}

// TestFetchUnreachableMirror: a mirror that cannot be reached is said to
// be so, with what to do offline, not taken for a package that is missing.
func TestFetchUnreachableMirror(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	spec := FetchSpec{Pins: map[string]string{"nginx": "1.22.1-9"}, ImageDigest: "sha256:abc", Status: writeStatus(t),
		CacheDir: t.TempDir(), Sources: []string{"deb [trusted=yes] http://" + addr + "/debian bookworm main"}}
	_, err = Fetch(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), "is the network up? Offline, put the .debs in the lab's debs/ folder") {
		t.Errorf("err = %v", err)
	}
}

func TestFetchRejectsBadPin(t *testing.T) {
	spec := FetchSpec{Pins: map[string]string{"nginx": "latest"}, Status: writeStatus(t), CacheDir: t.TempDir()}
	_, err := Fetch(context.Background(), spec)
	if err == nil || !strings.Contains(err.Error(), `package nginx: debian version "latest"`) {
		t.Errorf("err = %v", err)
	}
}

// TestFetchFromDebianMirror talks to deb.debian.org through apt.
func TestFetchFromDebianMirror(t *testing.T) {
	if testing.Short() || os.Getenv("VLAB_OFFLINE") == "1" {
		t.Skip("needs the Debian mirror (skipped with -short or VLAB_OFFLINE=1)")
	}
	needTools(t, "apt-get", "dpkg-deb")
	spec := FetchSpec{
		Pins:        map[string]string{"hello": "2.10-3"},
		ImageDigest: "sha256:test",
		Status:      writeStatus(t, "libc6", "2.36-9+deb12u4"),
		CacheDir:    t.TempDir(),
	}
	debs, err := Fetch(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if got := debSummary(debs); got != "hello=2.10-3" {
		t.Fatalf("closure = %q, want only hello (libc6 is in the image)", got)
	}
	if out, err := exec.Command("dpkg-deb", "-f", debs[0].Path, "Version").Output(); err != nil || strings.TrimSpace(string(out)) != "2.10-3" {
		t.Errorf("downloaded %s: %s %v", debs[0].Path, out, err)
	}
	spec.Offline = true
	if again, err := Fetch(context.Background(), spec); err != nil || debSummary(again) != "hello=2.10-3" {
		t.Errorf("offline refetch = %q, %v", debSummary(again), err)
	}
	spec.Offline, spec.Pins = false, map[string]string{"hello": "2.10-2"}
	if _, err := Fetch(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "pinned hello 2.10-2 but the apt sources only have 2.10-3") {
		t.Errorf("missing version: %v", err)
	}
}

func TestFetchUnmetDependency(t *testing.T) {
	needTools(t, "apt-get", "dpkg-deb")
	debDir := t.TempDir()
	makeDeb(t, debDir, "vlab-d", "1.0-1", "vlab-missing")
	spec := FetchSpec{Pins: map[string]string{"vlab-d": "1.0-1"}, ImageDigest: "d", Status: writeStatus(t),
		CacheDir: t.TempDir(), DebDir: debDir}
	_, err := Fetch(context.Background(), spec)
	want := "pinned packages cannot be installed together: vlab-d : Depends: vlab-missing but it is not installable; pin those dependencies to versions that fit"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// A relative cache folder (VLAB_HOME=rel) works: apt is given absolute
// paths.
func TestFetchRelativeCacheDir(t *testing.T) {
	needTools(t, "apt-get", "dpkg-deb")
	work := t.TempDir()
	t.Chdir(work)
	os.Mkdir("debs", 0o755)
	makeDeb(t, "debs", "vlab-a", "1.0-1", "")
	spec := FetchSpec{Pins: map[string]string{"vlab-a": "1.0-1"}, ImageDigest: "d", Status: writeStatus(t),
		CacheDir: "home/cache", DebDir: "debs", Offline: true}
	debs, err := Fetch(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(debs) != 1 || !filepath.IsAbs(debs[0].Path) {
		t.Errorf("debs = %+v, want one at an absolute path", debs)
	}
	files, err := Prefetch(context.Background(), spec)
	if err != nil || len(files) != 2 || filepath.IsAbs(files[1]) {
		t.Errorf("prefetch = %v, %v; want the record and the .deb relative to the cache", files, err)
	}
}

// Two closure records written at once never share a temporary file.
func TestSaveClosureConcurrent(t *testing.T) {
	cache := t.TempDir()
	record := filepath.Join(cache, "closures", "k.json")
	errs := make(chan error, 20)
	for i := 0; i < 20; i++ {
		go func() { errs <- saveClosure(record, cache, nil) }()
	}
	for i := 0; i < 20; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "closures", "*")); len(left) != 1 {
		t.Errorf("files left: %v", left)
	}
}
