package libvirt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/vm"
)

// frozenDisk is the disk recorded in the save file of tag.
func frozenDisk(t *testing.T, d *Driver, name, tag string) string {
	t.Helper()
	disk, err := d.savedDisk(name, tag)
	if err != nil {
		t.Fatal(err)
	}
	return disk
}

func currentDisk(t *testing.T, f *fakeLibvirt, name string) string {
	t.Helper()
	return diskOf(parseDomain(t, f.domains[name].xml))
}

func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	if err := d.Create(ctx, testSpec("a", testImage(t, false))); err != nil {
		t.Fatal(err)
	}
	first := currentDisk(t, f, "a")
	if err := d.Snapshot(ctx, "a", "golden"); err != nil {
		t.Fatal(err)
	}
	wantState(t, d, "a", vm.StateRunning)
	frozen := frozenDisk(t, d, "a", "golden")
	if frozen != first {
		t.Errorf("frozen disk %s, want the disk the VM ran on (%s)", frozen, first)
	}
	for range 3 {
		before := currentDisk(t, f, "a")
		if err := d.Restore(ctx, "a", "golden"); err != nil {
			t.Fatal(err)
		}
		wantState(t, d, "a", vm.StateRunning)
		now := currentDisk(t, f, "a")
		if now == before || now == frozen || f.byPath(now).backing != frozen {
			t.Errorf("after restore the VM runs on %s (backed by %s), want a fresh overlay of %s", now, f.byPath(now).backing, frozen)
		}
		if f.byPath(before) != nil {
			t.Errorf("previous run overlay %s was kept", before)
		}
		if f.byPath(frozen) == nil {
			t.Fatalf("frozen disk %s was deleted", frozen)
		}
	}
	if got := f.volsWithPrefix("a."); len(got) != 3 {
		t.Errorf("volumes %q, want save file, frozen disk and one run overlay", got)
	}
	f.checkConsistent(t)
}

func TestSnapshotAgainKeepsBackingChain(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	if err := d.Create(ctx, testSpec("a", testImage(t, false))); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := d.Snapshot(ctx, "a", "golden"); err != nil {
			t.Fatal(err)
		}
		if err := d.Restore(ctx, "a", "golden"); err != nil {
			t.Fatalf("restore after snapshot %d: %v", i+1, err)
		}
		f.checkConsistent(t)
	}
}

func TestRestoreMissingTag(t *testing.T) {
	ctx := context.Background()
	d, _ := testDriver(t)
	if err := d.Create(ctx, testSpec("a", testImage(t, false))); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a", "absent"} {
		if err := d.Restore(ctx, name, "nope"); !errors.Is(err, vm.ErrNotFound) {
			t.Errorf("Restore(%s, nope) = %v, want ErrNotFound", name, err)
		}
	}
	wantState(t, d, "a", vm.StateRunning)
}

func TestSetClock(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	if err := d.Create(ctx, testSpec("a", testImage(t, true))); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 5)
	if err := d.SetClock(ctx, "a", now); err != nil {
		t.Fatalf("SetClock on a running VM with the agent channel: %v", err)
	}
	if got := f.domains["a"].clock; got != now.Unix() {
		t.Errorf("guest clock %d, want %d", got, now.Unix())
	}
	if err := d.Pause(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetClock(ctx, "a", now); err == nil {
		t.Error("SetClock on a paused VM succeeded")
	}
	if err := d.SetClock(ctx, "absent", now); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("SetClock on a missing VM = %v, want ErrNotFound", err)
	}
}

// TestRestoreOnAnotherPort: a saved state whose SSH port was taken since
// fails to restore with ErrPortInUse; RestoreOnPort brings it up on
// another port, which its definition keeps.
func TestRestoreOnAnotherPort(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	img := testImage(t, false)
	a := testSpec("a", img)
	if err := d.Create(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := d.Snapshot(ctx, "a", "golden"); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Stop(ctx, "a"))
	b := testSpec("b", img)
	b.SSHPort = a.SSHPort // taken meanwhile
	must(d.Create(ctx, b))
	if err := d.Restore(ctx, "a", "golden"); !errors.Is(err, vm.ErrPortInUse) {
		t.Fatalf("Restore onto a taken port = %v, want ErrPortInUse", err)
	}
	must(d.RestoreOnPort(ctx, "a", "golden", a.SSHPort+1))
	wantState(t, d, "a", vm.StateRunning)
	if f.domains["a"].fwd != a.SSHPort+1 || fwdOf(f.domains["a"].xml) != a.SSHPort+1 {
		t.Errorf("forward on %d (definition %d), want %d", f.domains["a"].fwd, fwdOf(f.domains["a"].xml), a.SSHPort+1)
	}
	f.checkConsistent(t)
}
