package hostcheck

import (
	"context"
	"errors"
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

// TestReport: a line per check, ✓ with what it found or ✗ with the
// problem (made safe for a terminal), and the count of failures.
func TestReport(t *testing.T) {
	var b strings.Builder
	failed := Report(context.Background(), &b, []Check{
		{"disk", func(context.Context) (string, error) { return "12 GB free", nil }},
		{"libvirt", func(context.Context) (string, error) { return "", errors.New("no answer\x1b[2J") }},
	})
	want := "✓ disk             12 GB free\n✗ libvirt          no answer\n"
	if failed != 1 || b.String() != want {
		t.Errorf("Report = %d\n%q\nwant 1\n%q", failed, b.String(), want)
	}
}
