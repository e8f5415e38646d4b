// Package drivertest is the conformance suite every vm.Driver passes, and an
// in-memory driver to test code above the drivers with. Unit tests run the
// suite on fakes; integration tests run it on real libvirtd and Vagrant.
package drivertest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/vm"
)

// Guest runs shell commands as root inside a VM, the way vlab does (SSH
// on the VM's 127.0.0.1 port).
type Guest interface {
	// Exec runs cmd in the VM of spec, waiting up to ctx for it to answer,
	// and returns what it printed on stdout.
	Exec(ctx context.Context, spec vm.Spec, cmd string) (string, error)
}

// Harness is what the suite needs from one driver.
type Harness struct {
	Driver vm.Driver
	Guest  Guest
	// Spec returns a spec for a new VM; name is unique within the run.
	Spec func(t *testing.T, name string) vm.Spec
	// Timeout bounds each step that waits for a guest; default 5 minutes.
	Timeout time.Duration
}

// The commands the suite runs in guests; the fake guest understands them.
const (
	cmdHello = "echo hello"
	cmdClock = "date +%s"
	// cmdBreak has the guest remove its SSH server and stop it, as a
	// trainee's mistake might; only a restore brings SSH back.
	cmdBreak = "nohup sh -c 'sleep 1; rm -f /usr/sbin/sshd; pkill -x sshd' >/dev/null 2>&1 &"
)

func cmdMark(name string) string { return "touch /root/vlab-mark-" + name }
func cmdHas(name string) string {
	return "test -e /root/vlab-mark-" + name + " && echo yes || echo no"
}

// Run runs the suite. The harness's driver must stay open until t's
// cleanups have run (close it in a cleanup registered before Run, not in a
// defer). One VM, named after the suite, carries every
// proof in turn (a boot under TCG costs tens of seconds, and a driver's
// CI runs the suite on real VMs): its lifecycle, a snapshot and restore
// (and a clone from the host's store), resets through standbys, a restore
// after the guest broke its SSH server, and destroy twice at the end. A
// part that fails stops the parts after it, which would start from a VM in
// an unknown state.
func Run(t *testing.T, h Harness) {
	if h.Timeout == 0 {
		h.Timeout = 5 * time.Minute
	}
	spec := create(t, h, "suite")
	parts := []struct {
		name string
		run  func(*testing.T, Harness, vm.Spec)
	}{
		{"Lifecycle", testLifecycle},
		{"SnapshotRestore", testSnapshotRestore},
		{"Standby", testStandby},
		{"RestoreAfterBreak", testRestoreAfterBreak},
		{"DestroyTwice", testDestroyTwice},
	}
	for _, p := range parts {
		if _, ok := h.Driver.(vm.Standby); !ok && p.name == "Standby" {
			continue
		}
		if !t.Run(p.name, func(t *testing.T) { p.run(t, h, spec) }) {
			return
		}
	}
}

// create makes a VM for the suite and destroys it when the test ends.
func create(t *testing.T, h Harness, name string) vm.Spec {
	t.Helper()
	spec := h.Spec(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
	defer cancel()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
		defer cancel()
		if err := h.Driver.Destroy(ctx, spec.Name); err != nil {
			t.Errorf("cleanup: destroy %s: %v", spec.Name, err)
		}
	})
	// A run that was killed leaves its VMs behind; start from nothing.
	if err := h.Driver.Destroy(ctx, spec.Name); err != nil {
		t.Fatalf("destroy a leftover %s: %v", spec.Name, err)
	}
	if err := h.Driver.Create(ctx, spec); err != nil {
		t.Fatalf("create %s: %v", spec.Name, err)
	}
	return spec
}

func exec(t *testing.T, h Harness, spec vm.Spec, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), h.Timeout)
	defer cancel()
	out, err := h.Guest.Exec(ctx, spec, cmd)
	if err != nil {
		t.Fatalf("vm %s: %s: %v", spec.Name, cmd, err)
	}
	return strings.TrimSpace(out)
}

func wantState(t *testing.T, h Harness, name string, want vm.State) {
	t.Helper()
	got, err := h.Driver.State(context.Background(), name)
	if err != nil || got != want {
		t.Fatalf("state of %s = %q, %v; want %q", name, got, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testLifecycle(t *testing.T, h Harness, spec vm.Spec) {
	ctx := context.Background()
	wantState(t, h, spec.Name, vm.StateRunning)
	if got := exec(t, h, spec, cmdHello); got != "hello" {
		t.Fatalf("ssh: echo hello printed %q", got)
	}
	if err := h.Driver.Create(ctx, spec); !errors.Is(err, vm.ErrExists) {
		t.Errorf("second create: %v, want ErrExists", err)
	}
	checkInventory(t, h, spec)
	if tail, err := h.Driver.ConsoleTail(ctx, spec.Name, 5); err != nil || strings.TrimSpace(tail) == "" {
		t.Errorf("console tail of a booted vm: %q, %v", tail, err)
	}
	must(t, "stop", h.Driver.Stop(ctx, spec.Name))
	wantState(t, h, spec.Name, vm.StateStopped)
	must(t, "stop a stopped vm", h.Driver.Stop(ctx, spec.Name))
	must(t, "start", h.Driver.Start(ctx, spec.Name))
	must(t, "start a running vm", h.Driver.Start(ctx, spec.Name))
	wantState(t, h, spec.Name, vm.StateRunning)
	if got := exec(t, h, spec, cmdHello); got != "hello" {
		t.Fatalf("ssh after restart: echo hello printed %q", got)
	}
	must(t, "pause", h.Driver.Pause(ctx, spec.Name))
	wantState(t, h, spec.Name, vm.StatePaused)
	must(t, "resume", h.Driver.Resume(ctx, spec.Name))
	wantState(t, h, spec.Name, vm.StateRunning)
}

// checkInventory checks that the VM's labels are found again, and that a
// network is joined only by the holder of its labels. It rides on
// testLifecycle's VM: no VM is booted for it.
func checkInventory(t *testing.T, h Harness, spec vm.Spec) {
	ctx := context.Background()
	if len(spec.Labels) == 0 {
		t.Fatal("the harness's Spec must set Labels")
	}
	got, err := h.Driver.VMLabels(ctx, spec.Name)
	must(t, "labels", err)
	if !vm.HasLabels(got, spec.Labels) {
		t.Errorf("VMLabels = %v, want %v", got, spec.Labels)
	}
	found, err := h.Driver.FindVMs(ctx, spec.Labels)
	must(t, "find vms", err)
	if len(found) != 1 || found[0] != spec.Name {
		t.Errorf("FindVMs(%v) = %v, want [%s]", spec.Labels, found, spec.Name)
	}
	if _, err := h.Driver.VMLabels(ctx, spec.Name+"-none"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("VMLabels of a missing vm: %v, want ErrNotFound", err)
	}
	net := spec.Name + "-net"
	mine := map[string]string{"suite": spec.Name}
	t.Cleanup(func() { h.Driver.RemoveNetwork(context.Background(), net) })
	must(t, "ensure network", h.Driver.EnsureNetwork(ctx, net, mine))
	must(t, "ensure own network again", h.Driver.EnsureNetwork(ctx, net, mine))
	if err := h.Driver.EnsureNetwork(ctx, net, map[string]string{"suite": "other"}); !errors.Is(err, vm.ErrExists) {
		t.Errorf("joining a network with other labels: %v, want ErrExists", err)
	}
	if found, err := h.Driver.FindNetworks(ctx, mine); err != nil || len(found) != 1 || found[0] != net {
		t.Errorf("FindNetworks(%v) = %v, %v; want [%s]", mine, found, err, net)
	}
	must(t, "remove network", h.Driver.RemoveNetwork(ctx, net))
	if found, _ := h.Driver.FindNetworks(ctx, mine); len(found) != 0 {
		t.Errorf("FindNetworks after RemoveNetwork = %v", found)
	}
	if hm, ok := h.Driver.(vm.HostMemory); ok {
		// A host running this VM has at least some memory left, and not
		// more than a machine has.
		if b, err := hm.AvailableMemory(ctx); err != nil || b < 64<<20 || b > 1<<50 {
			t.Errorf("AvailableMemory = %d, %v", b, err)
		}
	}
}

func testSnapshotRestore(t *testing.T, h Harness, spec vm.Spec) {
	ctx := context.Background()
	exec(t, h, spec, cmdMark("before"))
	must(t, "snapshot", h.Driver.Snapshot(ctx, spec.Name, "golden"))
	wantState(t, h, spec.Name, vm.StateRunning)
	exec(t, h, spec, cmdMark("after"))
	must(t, "restore", h.Driver.Restore(ctx, spec.Name, "golden"))
	wantState(t, h, spec.Name, vm.StateRunning)
	if got := exec(t, h, spec, cmdHas("before")); got != "yes" {
		t.Errorf("after restore, the file made before the snapshot: %q, want yes", got)
	}
	if got := exec(t, h, spec, cmdHas("after")); got != "no" {
		t.Errorf("after restore, the file made after the snapshot: %q, want no", got)
	}
	if err := h.Driver.Restore(ctx, spec.Name, "no-such-tag"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("restore of a missing tag: %v, want ErrNotFound", err)
	}
	// A driver that sets guest clocks without a login must set them right.
	if c, ok := h.Driver.(vm.Clock); ok {
		want := time.Now().Add(90 * time.Minute)
		must(t, "set clock", c.SetClock(ctx, spec.Name, want))
		setAt := time.Now()
		got := exec(t, h, spec, cmdClock)
		sec, err := strconv.ParseInt(got, 10, 64)
		if err != nil {
			t.Fatalf("guest clock: %q", got)
		}
		if d := time.Unix(sec, 0).Sub(want.Add(time.Since(setAt))); d < -30*time.Second || d > 30*time.Second {
			t.Errorf("guest clock %s after SetClock(%s): off by %s", time.Unix(sec, 0).UTC(), want.UTC(), d)
		}
	}
	if g, ok := h.Driver.(vm.Golden); ok {
		checkGolden(t, h, g, spec)
	}
}

// checkGolden publishes the snapshot of testSnapshotRestore's VM to the
// host's store and adopts it as a second VM, which must start from it, be
// its own (a file made in one is not in the other) and carry its own
// labels. It costs a restore, no boot.
func checkGolden(t *testing.T, h Harness, g vm.Golden, spec vm.Spec) {
	ctx := context.Background()
	key := "suite-" + spec.Name
	t.Cleanup(func() { g.RemoveGolden(context.Background(), key) })
	must(t, "publish", g.PublishGolden(ctx, spec.Name, "golden", key))
	must(t, "publish again", g.PublishGolden(ctx, spec.Name, "golden", key))
	clone := h.Spec(t, "clone")
	t.Cleanup(func() { h.Driver.Destroy(context.Background(), clone.Name) })
	must(t, "destroy a leftover clone", h.Driver.Destroy(ctx, clone.Name))
	if err := g.AdoptGolden(ctx, key+"-none", clone, "golden"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("adopting a missing golden state: %v, want ErrNotFound", err)
	}
	must(t, "adopt", g.AdoptGolden(ctx, key, clone, "golden"))
	must(t, "restore the adopted state", h.Driver.Restore(ctx, clone.Name, "golden"))
	wantState(t, h, clone.Name, vm.StateRunning)
	if got := exec(t, h, clone, cmdHas("before")); got != "yes" {
		t.Errorf("the clone lacks the file made before the snapshot: %q", got)
	}
	exec(t, h, clone, cmdMark("clone"))
	if got := exec(t, h, spec, cmdHas("clone")); got != "no" {
		t.Errorf("a file made in the clone is in the original: %q", got)
	}
	if l, err := h.Driver.VMLabels(ctx, clone.Name); err != nil || !vm.HasLabels(l, clone.Labels) {
		t.Errorf("clone's labels %v, %v; want %v", l, err, clone.Labels)
	}
	if r, ok := h.Driver.(vm.GuestRunner); ok {
		must(t, "guest run", r.GuestRun(ctx, clone.Name, []string{"/usr/bin/touch", "/root/vlab-mark-agent"}, nil))
		if got := exec(t, h, clone, cmdHas("agent")); got != "yes" {
			t.Errorf("a file made through the guest agent: %q", got)
		}
	}
	list, err := g.Goldens(ctx)
	must(t, "list goldens", err)
	if !slices.ContainsFunc(list, func(i vm.GoldenInfo) bool { return i.Key == key && i.Bytes > 0 }) {
		t.Errorf("goldens %+v lack %s", list, key)
	}
	must(t, "remove golden", g.RemoveGolden(ctx, key))
	list, _ = g.Goldens(ctx)
	if slices.ContainsFunc(list, func(i vm.GoldenInfo) bool { return i.Key == key }) {
		t.Errorf("golden %s listed after its removal", key)
	}
}

func testRestoreAfterBreak(t *testing.T, h Harness, spec vm.Spec) {
	ctx := context.Background()
	must(t, "snapshot", h.Driver.Snapshot(ctx, spec.Name, "golden"))
	exec(t, h, spec, cmdBreak)
	// A loaded TCG guest may take a while to break itself: poll.
	broken := false
	for end := time.Now().Add(time.Minute); !broken && time.Now().Before(end); time.Sleep(time.Second) {
		short, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := h.Guest.Exec(short, spec, cmdHello)
		cancel()
		broken = err != nil
	}
	if !broken {
		t.Fatal("the guest still answers SSH a minute after removing its SSH server")
	}
	must(t, "restore", h.Driver.Restore(ctx, spec.Name, "golden"))
	if got := exec(t, h, spec, cmdHello); got != "hello" {
		t.Fatalf("ssh after restore: echo hello printed %q", got)
	}
}

// testDestroyTwice destroys the suite's VM, then again, and stops it
// absent: each is no error.
func testDestroyTwice(t *testing.T, h Harness, spec vm.Spec) {
	ctx := context.Background()
	must(t, "destroy", h.Driver.Destroy(ctx, spec.Name))
	wantState(t, h, spec.Name, vm.StateAbsent)
	must(t, "destroy again", h.Driver.Destroy(ctx, spec.Name))
	must(t, "stop an absent vm", h.Driver.Stop(ctx, spec.Name))
}

// testStandby resets a broken VM twice through standbys, the way the
// instance layer does: the second domain of the pair takes over the SSH
// port, then the replaced one is prepared as the next standby. The VM
// keeps its name and runs at the end.
func testStandby(t *testing.T, h Harness, spec vm.Spec) {
	ctx := context.Background()
	sb := h.Driver.(vm.Standby)
	pair := []string{spec.Name, spec.Name + "_b"}
	t.Cleanup(func() { h.Driver.Destroy(context.Background(), pair[1]) })
	must(t, "destroy a leftover standby", h.Driver.Destroy(ctx, pair[1]))
	exec(t, h, spec, cmdMark("before"))
	must(t, "snapshot", h.Driver.Snapshot(ctx, spec.Name, "golden"))
	for round, live := range []string{pair[0], pair[1]} {
		next := pair[1-round]
		must(t, "prepare standby", sb.PrepareStandby(ctx, pair[0], "golden", next))
		wantState(t, h, next, vm.StatePaused)
		warmed := warm(t, h, spec, next)
		exec(t, h, spec, cmdMark("after"))
		must(t, "take over", sb.TakeOver(ctx, live, next, spec.SSHPort))
		wantState(t, h, next, vm.StateRunning)
		wantState(t, h, live, vm.StatePaused)
		// The VM's address is its SSH port, now served by the standby.
		if got := exec(t, h, spec, cmdHas("before")); got != "yes" {
			t.Errorf("round %d: after take-over, the file made before the snapshot: %q, want yes", round, got)
		}
		if got := exec(t, h, spec, cmdHas("after")); got != "no" {
			t.Errorf("round %d: after take-over, the file made after the snapshot: %q, want no", round, got)
		}
		if got, want := exec(t, h, spec, cmdHas("warm-"+next)), map[bool]string{true: "yes", false: "no"}[warmed]; got != want {
			t.Errorf("round %d: after take-over, the file made while warming the standby: %q, want %s", round, got, want)
		}
		if c, ok := h.Driver.(vm.Clock); ok {
			must(t, "set clock of the standby", c.SetClock(ctx, next, time.Now()))
		}
	}
	must(t, "power off", sb.PowerOff(ctx, pair[1]))
	wantState(t, h, pair[1], vm.StateStopped)
	must(t, "power off an absent vm", sb.PowerOff(ctx, spec.Name+"_never"))
	if err := sb.TakeOver(ctx, pair[0], pair[1], spec.SSHPort); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("take-over by a powered-off standby: %v, want ErrNotFound", err)
	}
}

// warm runs the paused standby privately where the driver can (role
// vm.Warmer) and leaves a file in it; the VM itself keeps its port and
// does not get the file. It tells whether the standby was warmed.
func warm(t *testing.T, h Harness, spec vm.Spec, standby string) bool {
	t.Helper()
	w, ok := h.Driver.(vm.Warmer)
	if !ok {
		return false
	}
	port, err := freePort()
	must(t, "free port", err)
	private := spec
	private.Name, private.SSHPort = standby, port
	must(t, "warm standby", w.Warm(context.Background(), standby, port, func(ctx context.Context) error {
		_, err := h.Guest.Exec(ctx, private, cmdMark("warm-"+standby))
		return err
	}))
	wantState(t, h, standby, vm.StatePaused)
	if got := exec(t, h, spec, cmdHas("warm-"+standby)); got != "no" {
		t.Errorf("the VM has the file made in its standby while warming it: %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if _, err := h.Guest.Exec(ctx, private, cmdHello); err == nil {
		t.Errorf("the warmed standby still answers on its private port %d", port)
	}
	return true
}
