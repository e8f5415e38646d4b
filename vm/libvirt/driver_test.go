package libvirt

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

const poolDir = "/pool"

// testDriver is a driver on a fresh fake with its pool set up.
func testDriver(t *testing.T) (*Driver, *fakeLibvirt) {
	t.Helper()
	f := newFake()
	d := newDriver(f, Options{PoolDir: poolDir})
	if err := d.ensurePool(context.Background()); err != nil {
		t.Fatal(err)
	}
	return d, f
}

// testImage writes a small qcow2-looking disk and a kernel and initrd.
func testImage(t *testing.T, kernel bool) vm.Image {
	t.Helper()
	dir := t.TempDir()
	hdr := make([]byte, 64)
	copy(hdr, "QFI\xfb")
	binary.BigEndian.PutUint64(hdr[24:], 2<<30)
	img := vm.Image{Name: "debian-12", Digest: strings.Repeat("ab12", 16), Disk: filepath.Join(dir, "disk.qcow2")}
	os.WriteFile(img.Disk, hdr, 0o644)
	if kernel {
		img.Kernel, img.Initrd = filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "initrd")
		os.WriteFile(img.Kernel, []byte("kernel"), 0o644)
		os.WriteFile(img.Initrd, []byte("initrd"), 0o644)
	}
	return img
}

// testSpec gives each VM its own SSH port, as the fake holds them like QEMU.
func testSpec(name string, img vm.Image) vm.Spec {
	port := 2222
	for _, c := range name {
		port = port*31 + int(c)
	}
	return vm.Spec{Name: name, Memory: 256, CPUs: 1, Image: img, Accel: vm.AccelTCG, SSHPort: 20000 + port%20000}
}

func TestEnsurePoolDefinesOnce(t *testing.T) {
	d, f := testDriver(t)
	if d.dir != poolDir || f.pool == nil || f.pool.Name != "vlab" {
		t.Fatalf("pool dir %q, pool %+v", d.dir, f.pool)
	}
	d2 := newDriver(f, Options{PoolDir: "/elsewhere"})
	if err := d2.ensurePool(context.Background()); err != nil || d2.dir != poolDir {
		t.Fatalf("second ensurePool: %v, dir %q (want the existing pool's)", err, d2.dir)
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	img := testImage(t, true)
	if err := d.Create(ctx, testSpec("a", img)); err != nil {
		t.Fatal(err)
	}
	base := onlyBase(t, f)
	if want := []string{base.disk, base.kernel, base.initrd}; strings.Join(f.uploads, " ") != strings.Join(want, " ") {
		t.Errorf("uploads %q, want %q", f.uploads, want)
	}
	runs := f.volsWithPrefix("a.run-")
	if len(runs) != 1 {
		t.Fatalf("overlays %q, want one", runs)
	}
	if ov := f.vols[runs[0]]; ov.backing != poolDir+"/"+base.disk || ov.capacity != 2<<30 || ov.format != "qcow2" {
		t.Errorf("overlay %+v", ov)
	}
	dom := parseDomain(t, f.domains["a"].xml)
	if diskOf(dom) != poolDir+"/"+runs[0] || dom.OS.Kernel != poolDir+"/"+base.kernel {
		t.Errorf("domain disk %q kernel %q", diskOf(dom), dom.OS.Kernel)
	}
	wantState(t, d, "a", vm.StateRunning)

	if err := d.Create(ctx, testSpec("b", img)); err != nil {
		t.Fatal(err)
	}
	if len(f.uploads) != 3 {
		t.Errorf("second VM uploaded the image again: %q", f.uploads)
	}
	if err := d.Create(ctx, testSpec("a", img)); !errors.Is(err, vm.ErrExists) {
		t.Errorf("Create of an existing VM = %v, want ErrExists", err)
	}
	f.checkConsistent(t)
}

func TestCreatePortInUse(t *testing.T) {
	d, f := testDriver(t)
	f.startErr = lverr(golibvirt.ErrInternalError, "internal error: process exited while connecting to monitor: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'")
	err := d.Create(context.Background(), testSpec("a", testImage(t, false)))
	if !errors.Is(err, vm.ErrPortInUse) {
		t.Fatalf("Create = %v, want ErrPortInUse", err)
	}
}

func wantState(t *testing.T, d *Driver, name string, want vm.State) {
	t.Helper()
	if st, err := d.State(context.Background(), name); err != nil || st != want {
		t.Fatalf("State(%s) = %s, %v; want %s", name, st, err, want)
	}
}

func TestDestroy(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	img := testImage(t, false)
	for _, n := range []string{"a", "ab"} {
		if err := d.Create(ctx, testSpec(n, img)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Snapshot(ctx, "a", "golden"); err != nil {
		t.Fatal(err)
	}
	d.createVolume("a.console", "raw", 0, "")
	for range 2 {
		if err := d.Destroy(ctx, "a"); err != nil {
			t.Fatal(err)
		}
	}
	wantState(t, d, "a", vm.StateAbsent)
	if left := f.volsWithPrefix("a."); len(left) != 0 {
		t.Errorf("volumes left: %q", left)
	}
	if len(f.volsWithPrefix("ab.run-")) != 1 || len(f.volsWithPrefix("image-")) != 2 {
		t.Errorf("Destroy of a touched other volumes: %q", f.volNames())
	}
	wantState(t, d, "ab", vm.StateRunning)
	if err := d.Destroy(ctx, "never-was"); err != nil {
		t.Errorf("Destroy of an absent VM = %v", err)
	}
}

func TestTranslate(t *testing.T) {
	for _, tt := range []struct {
		code golibvirt.ErrorNumber
		want error
	}{
		{golibvirt.ErrNoDomain, vm.ErrNotFound},
		{golibvirt.ErrNoStorageVol, vm.ErrNotFound},
		{golibvirt.ErrNoStoragePool, vm.ErrNotFound},
		{golibvirt.ErrNoDomainSnapshot, vm.ErrNotFound},
		{golibvirt.ErrNoNetwork, vm.ErrNotFound},
		{golibvirt.ErrDomExist, vm.ErrExists},
		{golibvirt.ErrStorageVolExist, vm.ErrExists},
		{golibvirt.ErrNetworkExist, vm.ErrExists},
		{golibvirt.ErrInternalError, nil},
	} {
		err := translate(fmtWrap(lverr(tt.code, "line one\n  line two")))
		if tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("code %d: %v, want %v", tt.code, err, tt.want)
		}
		if tt.want == nil && (errors.Is(err, vm.ErrNotFound) || errors.Is(err, vm.ErrExists)) {
			t.Errorf("code %d: %v", tt.code, err)
		}
		if !strings.Contains(err.Error(), "line one | line two") {
			t.Errorf("code %d: message %q not folded onto one line", tt.code, err)
		}
	}
	if translate(nil) != nil {
		t.Error("translate(nil) != nil")
	}
	plain := errors.New("eof")
	if translate(plain) != plain {
		t.Error("a non-libvirt error was changed")
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("rpc"), err) }

func TestState(t *testing.T) {
	d, f := testDriver(t)
	if err := d.Create(context.Background(), testSpec("a", testImage(t, false))); err != nil {
		t.Fatal(err)
	}
	for st, want := range map[golibvirt.DomainState]vm.State{
		golibvirt.DomainRunning: vm.StateRunning, golibvirt.DomainBlocked: vm.StateRunning,
		golibvirt.DomainPaused: vm.StatePaused, golibvirt.DomainPmsuspended: vm.StatePaused,
		golibvirt.DomainShutoff: vm.StateStopped, golibvirt.DomainCrashed: vm.StateStopped,
		golibvirt.DomainNostate: vm.StateOther, golibvirt.DomainShutdown: vm.StateOther,
	} {
		f.domains["a"].state = st
		wantState(t, d, "a", want)
	}
	wantState(t, d, "b", vm.StateAbsent)
}

func TestPauseResumeStop(t *testing.T) {
	ctx := context.Background()
	d, _ := testDriver(t)
	if err := d.Create(ctx, testSpec("a", testImage(t, false))); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		do   func(context.Context, string) error
		want vm.State
	}{{d.Pause, vm.StatePaused}, {d.Pause, vm.StatePaused}, {d.Resume, vm.StateRunning}, {d.Resume, vm.StateRunning},
		{d.Stop, vm.StateStopped}, {d.Stop, vm.StateStopped}, {d.Start, vm.StateRunning}, {d.Start, vm.StateRunning}} {
		if err := step.do(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		wantState(t, d, "a", step.want)
	}
	if err := d.Stop(ctx, "absent"); err != nil {
		t.Errorf("Stop of an absent VM = %v", err)
	}
	if err := d.Start(ctx, "absent"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("Start of an absent VM = %v, want ErrNotFound", err)
	}
}

func TestConsoleTail(t *testing.T) {
	d, f := testDriver(t)
	d.createVolume("a.console", "raw", 0, "")
	f.vols["a.console"].data = []byte("one\r\ntwo\nthree\nfour\n")
	if got, err := d.ConsoleTail(context.Background(), "a", 2); err != nil || got != "three\nfour" {
		t.Fatalf("ConsoleTail = %q, %v", got, err)
	}
	if _, err := d.ConsoleTail(context.Background(), "b", 2); !errors.Is(err, vm.ErrNotFound) {
		t.Fatalf("ConsoleTail of a VM without a log = %v", err)
	}
}

func TestNetworks(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	name := "vlab-user-alice-net-backend"
	for range 2 {
		if err := d.EnsureNetwork(ctx, name, map[string]string{"uid": "a1"}); err != nil {
			t.Fatal(err)
		}
	}
	var n libvirtxml.Network
	if err := n.Unmarshal(f.networks[name]); err != nil {
		t.Fatal(err)
	}
	if b := n.Bridge.Name; len(b) > 15 || b != bridgeName(name) || b == bridgeName(name+"2") {
		t.Errorf("bridge %q", b)
	}
	if n.Forward != nil || len(n.IPs) != 0 {
		t.Errorf("network is not isolated: forward %+v, ips %+v", n.Forward, n.IPs)
	}
	for range 2 {
		if err := d.RemoveNetwork(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.networks) != 0 {
		t.Errorf("networks left: %v", f.networks)
	}
}
