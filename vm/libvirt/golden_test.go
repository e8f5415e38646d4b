package libvirt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// goldenPool is a driver on a pool folder of real files (as on this
// machine) holding VM a's saved state "golden" and its frozen disk.
func goldenPool(t *testing.T) (*Driver, string) {
	t.Helper()
	dir := t.TempDir()
	d := &Driver{dir: dir, files: localFiles{}, local: true, l: newFake()}
	spec := vm.Spec{Name: "vlab-a1-shop-web", Memory: 256, CPUs: 1, SSHPort: 20001, Accel: vm.AccelTCG,
		Networks: []string{"vlab-a1-shop-net-back"}, Labels: map[string]string{"uid": "a1", "vm": "web"}}
	x, err := domainXML(spec, files{disk: filepath.Join(dir, "vlab-a1-shop-web.run-1.qcow2"), console: filepath.Join(dir, "vlab-a1-shop-web.console")})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "vlab-a1-shop-web.golden.save"), fakeSave(x), 0o600)
	os.WriteFile(filepath.Join(dir, "vlab-a1-shop-web.run-1.qcow2"), []byte("frozen disk"), 0o600)
	return d, dir
}

func savedDomain(t *testing.T, d *Driver, vol string) (*libvirtxml.Domain, []byte) {
	t.Helper()
	head, err := d.saveHead(vol)
	if err != nil {
		t.Fatal(err)
	}
	var dom *libvirtxml.Domain
	if _, err := editSave(head, func(x *libvirtxml.Domain) error { dom = x; return nil }); err != nil {
		t.Fatal(err)
	}
	all, _ := os.ReadFile(d.path(vol))
	return dom, all
}

// TestPublishAndAdopt: a published golden state is a copy independent of
// the VM it came from; an adopted one is the new VM's own save file, under
// its name, labels, networks, console and port, on the store's disk, with
// QEMU's stream untouched.
func TestPublishAndAdopt(t *testing.T) {
	ctx := context.Background()
	d, dir := goldenPool(t)
	if err := d.PublishGolden(ctx, "vlab-a1-shop-web", "golden", "k1/web"); err != nil {
		t.Fatal(err)
	}
	tmpl := goldenName("k1/web")
	if b, _ := os.ReadFile(filepath.Join(dir, goldenDisk(tmpl))); string(b) != "frozen disk" {
		t.Fatalf("store's disk %q", b)
	}
	// The VM it came from goes; the entry stays whole.
	os.Remove(filepath.Join(dir, "vlab-a1-shop-web.golden.save"))
	os.Remove(filepath.Join(dir, "vlab-a1-shop-web.run-1.qcow2"))

	b := vm.Spec{Name: "vlab-b2-shop2-web", SSHPort: 20002, Networks: []string{"vlab-b2-shop2-net-back"},
		Labels: map[string]string{"uid": "b2", "vm": "web"}}
	if err := d.AdoptGolden(ctx, "k1/web", b, "golden"); err != nil {
		t.Fatal(err)
	}
	dom, all := savedDomain(t, d, saveName(b.Name, "golden"))
	if dom.Name != b.Name || dom.UUID == "" || diskOf(dom) != filepath.Join(dir, goldenDisk(tmpl)) {
		t.Errorf("adopted save: name %s uuid %s disk %s", dom.Name, dom.UUID, diskOf(dom))
	}
	if l := labelsOf(dom); l["uid"] != "b2" || l["golden"] != "" {
		t.Errorf("adopted labels %v", l)
	}
	if n := dom.Devices.Interfaces[0].Source.Network.Network; n != "vlab-b2-shop2-net-back" {
		t.Errorf("adopted network %s", n)
	}
	if fwdOf(mustMarshal(t, dom)) != 20002 {
		t.Errorf("adopted SSH forward: %s", mustMarshal(t, dom))
	}
	if s := dom.Devices.Serials[0]; s.Log == nil || s.Log.File != filepath.Join(dir, b.Name+".console") {
		t.Errorf("adopted console %+v", s.Log)
	}
	if !strings.HasSuffix(string(all), "QEVM-stream") {
		t.Error("QEMU's stream after the header was not kept")
	}
	if err := d.AdoptGolden(ctx, "k2/web", b, "golden"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("adopting a key the store lacks: %v", err)
	}
	list, err := d.Goldens(ctx)
	if err != nil || len(list) != 1 || list[0].Key != "k1/web" || list[0].Labels["uid"] != "a1" || list[0].Bytes == 0 {
		t.Errorf("Goldens = %+v, %v", list, err)
	}
	if err := d.RemoveGolden(ctx, "k1/web"); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, goldenPrefix+"*")); len(left) != 0 {
		t.Errorf("RemoveGolden left %v", left)
	}
}

// TestAdoptRefusesOtherNetworks: a VM with other lab networks than the
// saved one cannot take its state.
func TestAdoptRefusesOtherNetworks(t *testing.T) {
	d, _ := goldenPool(t)
	ctx := context.Background()
	if err := d.PublishGolden(ctx, "vlab-a1-shop-web", "golden", "k1/web"); err != nil {
		t.Fatal(err)
	}
	err := d.AdoptGolden(ctx, "k1/web", vm.Spec{Name: "x", SSHPort: 1}, "golden")
	if err == nil || !strings.Contains(err.Error(), "lab networks") {
		t.Errorf("adopt with no networks: %v", err)
	}
}

func mustMarshal(t *testing.T, dom *libvirtxml.Domain) string {
	t.Helper()
	x, err := dom.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return x
}
