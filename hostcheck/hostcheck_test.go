package hostcheck

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/vm/drivers"
)

// TestFor: the report lists the tools, then libvirt, accel, disk and
// images, in that order; the images check names what to do when none is
// stored, and a libvirtd that does not answer is a failed check, not a hang.
func TestFor(t *testing.T) {
	t.Setenv("VLAB_ACCEL", "tcg")
	home := t.TempDir()
	cfg := drivers.Config{Name: "libvirt", URI: "qemu:///system", Socket: filepath.Join(t.TempDir(), "no-sock"),
		Dir: home, Images: &images.Store{Dir: filepath.Join(home, "images")}}
	var names []string
	results := map[string]Result{}
	for _, c := range For(cfg) {
		names = append(names, c.Name)
		results[c.Name] = c.Do(context.Background())
	}
	want := "qemu-img git qemu libvirtd mmdebstrap vagrant vagrant-libvirt libvirt accel disk images kvm device ksm"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("checks %q, want %q", got, want)
	}
	if r := results["images"]; r.Err == nil || !strings.Contains(r.Err.Error(), "vlab images build debian-12") {
		t.Errorf("images: %+v, want the build hint", r)
	}
	if r := results["libvirt"]; r.Err == nil {
		t.Errorf("libvirt on a socket where nothing listens: %+v, want an error", r)
	}
	if r := results["accel"]; r.Err != nil || r.Detail != "tcg" {
		t.Errorf("accel with VLAB_ACCEL=tcg: %+v", r)
	}
}
