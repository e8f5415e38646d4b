package hostcheck

import (
	"context"
	"strings"
	"testing"

	goversion "github.com/hashicorp/go-version"
)

func toolNamed(t *testing.T, name string) Tool {
	t.Helper()
	for _, ht := range Tools {
		if ht.Name == name {
			return ht
		}
	}
	t.Fatalf("no host tool %s", name)
	return Tool{}
}

// TestHostToolVersions: doctor reads each tool's version from what it
// prints and names the one that is too old, in one line.
func TestHostToolVersions(t *testing.T) {
	for _, tt := range []struct {
		tool, out, want, wantErr string
	}{
		{"qemu", "QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)\nCopyright (c) 2003-2022 Fabrice Bellard\n", "7.2.22", ""},
		{"qemu", "QEMU emulator version 6.2.0 (Debian 1:6.2+dfsg-2ubuntu6.19)\n", "", "qemu 6.2.0 is too old: vlab needs 7.2 or newer"},
		{"qemu", "QEMU emulator version 10.1.0\n", "10.1.0", ""},
		{"libvirtd", "libvirtd (libvirt) 9.0.0\n", "9.0.0", ""},
		{"libvirtd", "libvirtd (libvirt) 8.0.0\n", "", "libvirtd 8.0.0 is too old: vlab needs 9.0 or newer"},
		{"mmdebstrap", "mmdebstrap 1.3.5\n", "1.3.5", ""},
		{"mmdebstrap", "mmdebstrap 0.8.4\n", "", "mmdebstrap 0.8.4 is too old"},
		{"vagrant", "Vagrant 2.3.4\n", "2.3.4", ""},
		{"vagrant", "Vagrant 2.2.19\n", "", "vagrant 2.2.19 is too old"},
		{"vagrant-libvirt", "vagrant-disksize (0.1.3, global)\nvagrant-libvirt (0.11.2, system)\n", "0.11.2", ""},
		{"vagrant-libvirt", "vagrant-libvirt (0.7.0, global)\n", "", "vagrant-libvirt 0.7.0 is too old: vlab needs 0.11 or newer"},
		{"vagrant-libvirt", "No plugins installed.\n", "", "cannot read the version of vagrant-libvirt"},
		{"qemu", "", "", "cannot read the version of qemu from `qemu-system-x86_64 --version`"},
	} {
		got, err := toolNamed(t, tt.tool).Compare(tt.out)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n")):
			t.Errorf("%s %q: error %v, want one line with %q", tt.tool, tt.out, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || !strings.HasPrefix(got, tt.want)):
			t.Errorf("%s %q: %q, %v; want %q", tt.tool, tt.out, got, err, tt.want)
		}
	}
}

func TestHostToolMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := toolNamed(t, "qemu").Check(context.Background()); err == nil || !strings.Contains(err.Error(), "qemu-system-x86_64 not found") {
		t.Errorf("qemu missing: %v", err)
	}
	if got, err := toolNamed(t, "vagrant").Check(context.Background()); err != nil || !strings.Contains(got, "not installed") {
		t.Errorf("vagrant missing: %q, %v; want fine, it is optional", got, err)
	}
}

// TestToolMinima: every minimum is a version, so that no tool is reported
// as unreadable because of a typo here.
func TestToolMinima(t *testing.T) {
	for _, tool := range Tools {
		if _, err := goversion.NewVersion(tool.Min); err != nil {
			t.Errorf("%s: minimum %q: %v", tool.Name, tool.Min, err)
		}
	}
}
