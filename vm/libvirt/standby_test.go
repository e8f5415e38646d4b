package libvirt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/vm"
)

// goldenVM is a driver on a fake with VM "a" running from its golden state.
func goldenVM(t *testing.T) (*Driver, *fakeLibvirt, vm.Spec) {
	ctx := context.Background()
	d, f := testDriver(t)
	spec := testSpec("a", testImage(t, false))
	if err := d.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	if err := d.Snapshot(ctx, "a", "golden"); err != nil {
		t.Fatal(err)
	}
	return d, f, spec
}

// TestStandbyAlternates plays three resets the way the instance layer does
// them: prepare the other domain of the pair, take over, and the VM taken
// over from becomes the next standby.
func TestStandbyAlternates(t *testing.T) {
	ctx := context.Background()
	d, f, spec := goldenVM(t)
	frozen := frozenDisk(t, d, "a", "golden")
	live, spare := "a", "a_b"
	for i := range 3 {
		if err := d.PrepareStandby(ctx, "a", "golden", spare); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		wantState(t, d, spare, vm.StatePaused)
		wantState(t, d, live, vm.StateRunning)
		if f.domains[spare].fwd != 0 || f.domains[live].fwd != spec.SSHPort {
			t.Fatalf("round %d: forwards: standby %d, vm %d", i, f.domains[spare].fwd, f.domains[live].fwd)
		}
		if fwdOf(f.domains[spare].defined()) != spec.SSHPort {
			t.Errorf("round %d: the standby's definition lost the SSH forward: a cold start would have no SSH", i)
		}
		if got := f.byPath(currentDisk(t, f, spare)).backing; got != frozen {
			t.Errorf("round %d: standby runs on an overlay of %s, want %s", i, got, frozen)
		}
		if err := d.TakeOver(ctx, live, spare, spec.SSHPort); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		wantState(t, d, spare, vm.StateRunning)
		wantState(t, d, live, vm.StatePaused)
		if f.domains[spare].fwd != spec.SSHPort || f.domains[live].fwd != 0 {
			t.Fatalf("round %d: after take-over: forwards: new %d, old %d", i, f.domains[spare].fwd, f.domains[live].fwd)
		}
		if f.domains[spare].announced == 0 {
			t.Errorf("round %d: the standby did not announce its MAC addresses after taking over", i)
		}

		live, spare = spare, live
	}
	// The golden state stays the owner's: destroying the copy's domain
	// leaves it, and both domains can still be destroyed cleanly.
	if err := d.Destroy(ctx, "a_b"); err != nil {
		t.Fatal(err)
	}
	if f.byPath(frozen) == nil || len(f.volsWithPrefix("a.golden.save")) != 1 {
		t.Fatalf("destroying the standby removed the golden state: %q", f.volNames())
	}
	if left := f.volsWithPrefix("a_b."); len(left) != 0 {
		t.Errorf("standby volumes left: %q", left)
	}
	if err := d.Restore(ctx, "a", "golden"); err != nil {
		t.Fatal(err)
	}
	f.checkConsistent(t)
}

func TestTakeOverNeedsPausedStandby(t *testing.T) {
	ctx := context.Background()
	d, f, spec := goldenVM(t)
	if err := d.TakeOver(ctx, "a", "a_b", spec.SSHPort); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("TakeOver without a standby = %v, want ErrNotFound", err)
	}
	if err := d.PrepareStandby(ctx, "a", "golden", "a_b"); err != nil {
		t.Fatal(err)
	}
	if err := d.PowerOff(ctx, "a_b"); err != nil {
		t.Fatal(err)
	}
	if err := d.TakeOver(ctx, "a", "a_b", spec.SSHPort); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("TakeOver of a powered-off standby = %v, want ErrNotFound", err)
	}
	wantState(t, d, "a", vm.StateRunning)
	if f.domains["a"].fwd != spec.SSHPort {
		t.Errorf("failed take-over moved the forward away")
	}
	if err := d.PowerOff(ctx, "never-was"); err != nil {
		t.Errorf("PowerOff of an absent VM = %v", err)
	}
}

func TestTakeOverPortTaken(t *testing.T) {
	ctx := context.Background()
	d, f, spec := goldenVM(t)
	if err := d.PrepareStandby(ctx, "a", "golden", "a_b"); err != nil {
		t.Fatal(err)
	}
	// Something else grabbed the port between remove and add: here, a
	// third running domain holds it.
	f.domains["intruder"] = &fakeDomain{xml: f.domains["a"].xml, state: 1, fwd: spec.SSHPort}
	err := d.TakeOver(ctx, "a", "a_b", spec.SSHPort)
	if !errors.Is(err, vm.ErrPortInUse) {
		t.Errorf("TakeOver onto a taken port = %v, want ErrPortInUse", err)
	}
	// Undone: the VM runs on (its port is the intruder's now), the
	// standby still waits.
	wantState(t, d, "a", vm.StateRunning)
	wantState(t, d, "a_b", vm.StatePaused)
	if f.domains["a_b"].fwd != 0 {
		t.Errorf("the standby kept forward %d after a failed take-over", f.domains["a_b"].fwd)
	}
}

// A save copy cut short (the clone made, the header not yet rewritten)
// still names the owner; the next preparation makes it again.
func TestPrepareStandbyRedoesCutShortCopy(t *testing.T) {
	ctx := context.Background()
	d, f, _ := goldenVM(t)
	src := f.vols["a.golden.save"]
	f.vols["a_b.golden.save"] = &fakeVol{path: poolDir + "/a_b.golden.save", format: "raw", data: append([]byte(nil), src.data...)}
	if err := d.PrepareStandby(ctx, "a", "golden", "a_b"); err != nil {
		t.Fatalf("PrepareStandby over a cut-short copy: %v", err)
	}
	wantState(t, d, "a_b", vm.StatePaused)
	wantState(t, d, "a", vm.StateRunning)
	if got := f.vols["a_b.golden.save"].saved(); !strings.Contains(got, "<name>a_b</name>") {
		t.Errorf("copy still names another domain:\n%s", got)
	}
}

func TestRenameSave(t *testing.T) {
	x := `<domain type='qemu'>
  <name>vlab-u-i-box</name>
  <uuid>11111111-2222-4333-8444-555555555555</uuid>
  <devices>
    <serial type='file'><source path='/pool/vlab-u-i-box.console' append='on'/></serial>
    <console type='file'><source path='/pool/vlab-u-i-box.console' append='on'/></console>
  </devices>
</domain>
`
	b := fakeSave(x)
	h, _ := parseSaveHeader(b)
	head := b[:saveHeaderLen+int(h.dataLen)]
	out, err := renameSave(head, "vlab-u-i-box", "vlab-u-i-box_b", "99999999-2222-4333-8444-555555555555")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(head) {
		t.Fatalf("renamed header is %d bytes, want %d: QEMU's stream would move", len(out), len(head))
	}
	v := &fakeVol{data: append(out, b[len(head):]...)}
	got := v.saved()
	for _, want := range []string{"<name>vlab-u-i-box_b</name>", "<uuid>99999999-2222-4333-8444-555555555555</uuid>",
		"/pool/vlab-u-i-box_b.console'"} {
		if !strings.Contains(got, want) {
			t.Errorf("renamed XML lacks %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "vlab-u-i-box.console") || strings.Count(got, "_b.console") != 2 {
		t.Errorf("console paths not all renamed:\n%s", got)
	}
	h2, _ := parseSaveHeader(out)
	if c := out[saveHeaderLen+int(h2.cookieOffset):]; !strings.HasPrefix(string(c), "<cookie/>\x00") {
		t.Errorf("cookie offset %d points at %q", h2.cookieOffset, c[:20])
	}

	if _, err := renameSave(head, "another", "another_b", "x"); err == nil {
		t.Error("renaming a save file of another domain succeeded")
	}
	if _, err := renameSave(head, "vlab-u-i-box", strings.Repeat("n", 9000), "x"); err == nil {
		t.Error("a renamed XML larger than the data area was accepted")
	}
	bad := append([]byte(nil), head...)
	copy(bad, "LibvirtQemudPart")
	if _, err := renameSave(bad, "vlab-u-i-box", "vlab-u-i-box_b", "x"); err == nil {
		t.Error("a partial save file was accepted")
	}
}

func TestWithoutForward(t *testing.T) {
	x, err := domainXML(testSpec("a", testImage(t, false)), files{disk: "/pool/a.qcow2", console: "/pool/a.console"})
	if err != nil {
		t.Fatal(err)
	}
	dom := parseDomain(t, x)
	sb, err := withoutForward(dom).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if fwdOf(sb) != 0 || !strings.Contains(sb, "user,id=vlabssh,restrict=on") {
		t.Errorf("standby keeps a forward or lost its network:\n%s", sb)
	}
	if again, _ := dom.Marshal(); again != x {
		t.Error("withoutForward changed the domain it was given")
	}
}

// TestStandbyShortStream: a download that ends early (go-libvirt ends a
// stream at its first empty packet) must not pass for a save file's
// header: the preparation fails naming the short read and leaves no copy
// behind for the next one to trust.
func TestStandbyShortStream(t *testing.T) {
	ctx := context.Background()
	d, f, _ := goldenVM(t)
	f.shortStreams = true
	err := d.PrepareStandby(ctx, "a", "golden", "a_b")
	if err == nil || !strings.Contains(err.Error(), "read 1 of") {
		t.Fatalf("PrepareStandby over short streams: %v", err)
	}
	if f.volsWithPrefix("a_b.") != nil {
		t.Errorf("a copy made from a short read is left: %v", f.volsWithPrefix("a_b."))
	}
	f.shortStreams = false
	if err := d.PrepareStandby(ctx, "a", "golden", "a_b"); err != nil {
		t.Fatalf("the next preparation: %v", err)
	}
}

// TestSnapshotAfterTakeOver: a VM that took over from its standby, then
// saved and restored, still serves SSH on its port (its live definition
// has no forward: take-over added it in QEMU).
func TestSnapshotAfterTakeOver(t *testing.T) {
	ctx := context.Background()
	d, f, spec := goldenVM(t)
	if err := d.PrepareStandby(ctx, "a", "golden", "a_b"); err != nil {
		t.Fatal(err)
	}
	if err := d.TakeOver(ctx, "a", "a_b", spec.SSHPort); err != nil {
		t.Fatal(err)
	}
	if err := d.PowerOff(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := d.Snapshot(ctx, "a_b", "later"); err != nil {
		t.Fatal(err)
	}
	if got := f.domains["a_b"].fwd; got != spec.SSHPort {
		t.Errorf("after the snapshot: forward on %d, want %d", got, spec.SSHPort)
	}
	if err := d.Restore(ctx, "a_b", "later"); err != nil {
		t.Fatal(err)
	}
	if got := f.domains["a_b"].fwd; got != spec.SSHPort {
		t.Errorf("after a restore: forward on %d, want %d", got, spec.SSHPort)
	}
}
