package provision

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/internal/debver"
)

func TestParseMadison(t *testing.T) {
	out := []byte(`     nginx | 1.22.1-9+deb12u9 | http://deb.debian.org/debian bookworm/main amd64 Packages
     nginx | 1.22.1-9+deb12u11 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     nginx | 1.22.1-9+deb12u11 | http://mirror.example/debian bookworm/main amd64 Packages
libnginx-mod-http-echo |   1:0.63-4 | http://deb.debian.org/debian bookworm/main amd64 Packages
`)
	got := parseMadison(out)
	if s := versionStrings(got["nginx"]); s != "1.22.1-9+deb12u11 1.22.1-9+deb12u9" {
		t.Errorf("nginx versions = %q, want newest first without duplicates", s)
	}
	if s := versionStrings(got["libnginx-mod-http-echo"]); s != "1:0.63-4" {
		t.Errorf("echo versions = %q", s)
	}
}

func versionStrings(vs []debver.Version) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	return strings.Join(s, " ")
}

func TestPinAvailable(t *testing.T) {
	have := []debver.Version{debver.MustParse("1.22.1-9+deb12u2"), debver.MustParse("1.18.0-6.1")}
	if err := pinAvailable("nginx", "0:1.22.1-9+deb12u2", have, "the apt sources"); err != nil {
		t.Errorf("explicit zero epoch: %v", err)
	}
	err := pinAvailable("nginx", "1.22.1-9", have, "the apt sources")
	want := "pinned nginx 1.22.1-9 but the apt sources only have 1.22.1-9+deb12u2, 1.18.0-6.1; pin one of those or add a source that has 1.22.1-9"
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("err = %v, want one line starting %q", err, want)
	}
	if err := pinAvailable("nginxx", "1.0", nil, "the apt sources"); err == nil || !strings.Contains(err.Error(), "nginxx is not in the apt sources") {
		t.Errorf("unknown package: %v", err)
	}
}

func TestParseSimulation(t *testing.T) {
	out := []byte(`NOTE: This is only a simulation!
Inst nginx-common (1.22.1-9+deb12u9 Debian:12.15/oldstable [all])
Inst libc6 [2.36-9+deb12u4] (2.36-9+deb12u14 Debian-Security:12/oldstable-security [amd64]) []
Inst libnginx-mod-http-echo (1:0.63-4 Debian:12.15/oldstable [amd64])
Conf nginx-common (1.22.1-9+deb12u9 Debian:12.15/oldstable [all])
`)
	got := parseSimulation(out)
	want := []Deb{
		{Package: "nginx-common", Version: "1.22.1-9+deb12u9", Arch: "all"},
		{Package: "libc6", Version: "2.36-9+deb12u14", Arch: "amd64"},
		{Package: "libnginx-mod-http-echo", Version: "1:0.63-4", Arch: "amd64"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("deb %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := debFileName(want[2]); n != "libnginx-mod-http-echo_1%3a0.63-4_amd64.deb" {
		t.Errorf("file name = %s", n)
	}
}

func TestMissingPins(t *testing.T) {
	installed := map[string]string{"libc6": "2.36-9+deb12u4", "nginx": "1.22.1-9", "zlib1g": "1:1.2.13.dfsg-1"}
	pins := map[string]string{"libc6": "2.36-9+deb12u4", "nginx": "1.22.1-9+deb12u2", "zlib1g": "1:1.2.13.dfsg-1", "tree": "2.1.0-1"}
	if got := strings.Join(missingPins(pins, installed), " "); got != "nginx tree" {
		t.Errorf("missing = %q, want the pins the image lacks at that version", got)
	}
}

func TestReadStatus(t *testing.T) {
	got, err := readStatus(writeStatus(t, "libc6", "2.36-9+deb12u4"))
	if err != nil {
		t.Fatal(err)
	}
	if got["libc6"] != "2.36-9+deb12u4" || got["removed"] != "" || len(got) != 1 {
		t.Errorf("installed = %v, want only libc6", got)
	}
}

// writeStatus writes a dpkg status file listing name/version pairs as
// installed, plus one removed package.
func writeStatus(t *testing.T, nameVersion ...string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < len(nameVersion); i += 2 {
		b.WriteString("Package: " + nameVersion[i] + "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " + nameVersion[i+1] + "\nDescription: test\n multi-line\n\n")
	}
	b.WriteString("Package: removed\nStatus: deinstall ok config-files\nVersion: 1.0\n")
	p := filepath.Join(t.TempDir(), "dpkg-status")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInstallPackages(t *testing.T) {
	deb := filepath.Join(t.TempDir(), "tree_2.1.0-1_amd64.deb")
	os.WriteFile(deb, []byte("!<arch>"), 0o644)
	r := newFakeRunner(func(cmd string) (string, int) {
		if strings.HasPrefix(cmd, "dpkg-query") {
			return "tree\t2.1.0-1\thi \nlibc6\t2.36-9+deb12u4\tii \n", 0
		}
		return "", 0
	})
	pins := map[string]string{"tree": "2.1.0-1", "libc6": "2.36-9+deb12u4"}
	if err := InstallPackages(context.Background(), r, []string{deb}, pins, nil); err != nil {
		t.Fatal(err)
	}
	if r.uploads[GuestDebDir+"/tree_2.1.0-1_amd64.deb"] != deb {
		t.Errorf("uploads = %v", r.uploads)
	}
	r.ran(t, "apt-get install -y -q --no-install-recommends --allow-downgrades --allow-change-held-packages -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "+GuestDebDir+"/tree_2.1.0-1_amd64.deb", "apt-mark hold libc6 tree", "dpkg-query -W")
}

func TestInstallPackagesWrongVersion(t *testing.T) {
	r := newFakeRunner(func(cmd string) (string, int) {
		if strings.HasPrefix(cmd, "dpkg-query") {
			return "nginx\t1.22.1-9+deb12u2\tii \n", 1
		}
		return "", 0
	})
	pins := map[string]string{"nginx": "1.22.1-9", "tree": "2.1.0-1"}
	err := InstallPackages(context.Background(), r, nil, pins, nil)
	if err == nil {
		t.Fatal("no error for a version mismatch")
	}
	for _, want := range []string{"package nginx: pinned 1.22.1-9 but the guest has 1.22.1-9+deb12u2", "package tree is not installed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	for _, c := range r.cmds {
		if strings.Contains(c, "apt-get install") {
			t.Errorf("installed with no debs: %s", c)
		}
	}
}

func TestInstallPackagesAptFails(t *testing.T) {
	deb := filepath.Join(t.TempDir(), "a_1_all.deb")
	os.WriteFile(deb, nil, 0o644)
	r := newFakeRunner(func(cmd string) (string, int) {
		if strings.HasPrefix(cmd, "DEBIAN_FRONTEND") {
			return "E: Unable to correct problems, you have held broken packages.\n", 100
		}
		return "", 0
	})
	err := InstallPackages(context.Background(), r, []string{deb}, map[string]string{"a": "1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "status 100: E: Unable to correct problems") {
		t.Fatalf("err = %v, want apt's last line", err)
	}
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
}
