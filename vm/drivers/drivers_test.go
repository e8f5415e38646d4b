package drivers

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/vm"
)

// noSocket is a libvirtd socket path where nothing listens.
func noSocket(t *testing.T) string { return filepath.Join(t.TempDir(), "no-libvirt-sock") }

func TestOpenRefusals(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{Name: "xen"}, `driver "xen": use libvirt or vagrant`},
		{Config{Name: "vagrant", URI: "qemu+ssh://ops@lab1/system"}, "driver vagrant runs VMs on this machine only, not on qemu+ssh://ops@lab1/system"},
		{Config{Name: "vagrant", URI: "qemu:///system"}, "no project folders"},
	} {
		tt.cfg.Socket = noSocket(t)
		d, err := tt.cfg.Open(ctx)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%+v) = %v, %v; want %q", tt.cfg, d, err, tt.want)
		}
	}
}

// An empty name is libvirt: with no libvirtd at the socket, the error is
// the hypervisor being unavailable.
func TestOpenLibvirtUnavailable(t *testing.T) {
	for _, name := range []string{"", "libvirt"} {
		_, err := Config{Name: name, URI: "qemu:///system", Socket: noSocket(t)}.Open(context.Background())
		if !errors.Is(err, vm.ErrUnavailable) {
			t.Errorf("Open(%q) = %v, want ErrUnavailable", name, err)
		}
	}
}

// VLAB_ACCEL wins, also for a remote host, which is then not asked (no
// connection is made: the URI names a host that does not exist).
func TestAccelOverride(t *testing.T) {
	t.Setenv("VLAB_ACCEL", "tcg")
	for _, uri := range []string{"qemu:///system", "qemu+ssh://ops@nowhere.invalid/system"} {
		var out bytes.Buffer
		a, err := Config{URI: uri, Dir: t.TempDir(), Progress: &out}.Accel(context.Background())
		if err != nil || a != vm.AccelTCG {
			t.Errorf("%s: Accel = %q, %v; want tcg", uri, a, err)
		}
		if !strings.Contains(out.String(), "warning: using TCG software emulation") || !strings.Contains(out.String(), "VLAB_ACCEL") {
			t.Errorf("%s: warning %q", uri, out.String())
		}
	}
	t.Setenv("VLAB_ACCEL", "kvm")
	var out bytes.Buffer
	if a, err := (Config{Dir: t.TempDir(), Progress: &out}).Accel(context.Background()); err != nil || a != vm.AccelKVM || out.Len() != 0 {
		t.Errorf("VLAB_ACCEL=kvm: %q, %v, said %q", a, err, out.String())
	}
}

// A remote host is asked what its libvirt offers, not probed here: an
// unreachable one is an error, not a local verdict.
func TestAccelAsksRemoteHost(t *testing.T) {
	t.Setenv("VLAB_ACCEL", "")
	cfg := Config{URI: "qemu+ssh://ops@127.0.0.1:1/system?known_hosts=" + filepath.Join(t.TempDir(), "kh"), Dir: t.TempDir()}
	if a, err := cfg.Accel(context.Background()); err == nil {
		t.Errorf("Accel of an unreachable remote host = %q, want an error", a)
	}
}

// TestAddBoxThereAlready: a box Vagrant has is not packed or added again
// unless forced; a missing vagrant is an error naming it.
func TestAddBoxThereAlready(t *testing.T) {
	bin := t.TempDir()
	img := &images.Image{Manifest: images.Manifest{Name: "debian-12", Digest: strings.Repeat("ab", 32)}}
	list := "1,,box-name,vlab/debian-12-abababababab\n1,,box-provider,libvirt\n"
	os.WriteFile(filepath.Join(bin, "vagrant"), []byte("#!/bin/sh\nprintf '"+strings.ReplaceAll(list, "\n", `\n`)+"'\n"), 0o755)
	t.Setenv("PATH", bin)
	name, added, err := Config{Dir: t.TempDir()}.AddBox(context.Background(), img, false)
	if err != nil || added || name != "vlab/debian-12-abababababab" {
		t.Errorf("box there already: %q added=%v, %v", name, added, err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, _, err := (Config{Dir: t.TempDir()}).AddBox(context.Background(), img, false); err == nil || !strings.Contains(err.Error(), "vagrant") {
		t.Errorf("no vagrant: %v", err)
	}
}
