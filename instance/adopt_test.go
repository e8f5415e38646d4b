package instance

import (
	"context"
	"strings"
	"testing"
)

// TestSecondInstanceAdopts: the first instance of a lab provisions and
// publishes; a second instance of the same lab on the host adopts the
// golden state instead of provisioning, gets its own VMs (names, uid,
// networks, port), its own key and fresh randomness through the guest
// agent, and its own golden state; destroying the first keeps the store.
func TestSecondInstanceAdopts(t *testing.T) {
	e := newEnv(t)
	e.m.Driver = opener(e.drv) // every role: golden store, guest agent
	ctx := context.Background()
	first := e.up(t, e.m)
	if n := len(e.drv.CallsLike("publish ")); n != 2 {
		t.Fatalf("publishes %q, want one per VM", e.drv.CallsLike("publish "))
	}
	e.p.takeApplied()

	m := e.again()
	second, err := m.Up(ctx, e.lab, UpOptions{ID: "shop2", Provisioner: e.p})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.p.takeApplied(); len(got) != 0 {
		t.Errorf("the second instance provisioned: %q", got)
	}
	if n := len(e.drv.CallsLike("adopt ")); n != 2 {
		t.Errorf("adoptions %q", e.drv.CallsLike("adopt "))
	}
	for _, n := range []string{"web", "db"} {
		a, b := first.State.VMs[n], second.State.VMs[n]
		if a.Domain == b.Domain || a.SSHPort == b.SSHPort || !strings.Contains(b.Domain, second.State.UID) {
			t.Errorf("vm %s: first %+v, second %+v", n, a, b)
		}
		if len(e.drv.CallsLike("guestrun "+b.Domain+" /usr/bin/perl")) != 1 || len(e.drv.CallsLike("guestrun "+b.Domain+" /bin/sh -c umask 077")) != 1 {
			t.Errorf("vm %s of the second instance: no key install or reseed: %q", n, e.drv.CallsLike("guestrun "))
		}
		if len(e.drv.CallsLike("snapshot "+b.Domain)) != 1 {
			t.Errorf("vm %s: the second instance did not save its own golden state", n)
		}
	}
	if second.State.Golden == nil || second.State.Golden.Key != first.State.Golden.Key || second.State.Phase != PhaseReady {
		t.Errorf("second instance state: %+v", second.State)
	}
	if s, err := second.Dial(ctx, "web"); err != nil {
		t.Errorf("ssh to the second instance: %v", err)
	} else {
		s.Close()
	}
	if err := e.again().Destroy(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if list, _ := e.drv.Goldens(ctx); len(list) != 2 {
		t.Errorf("the store after the first instance's destroy: %+v", list)
	}
	if _, err := e.again().Reset(ctx, "shop2"); err != nil {
		t.Errorf("reset of the second instance after the first's destroy: %v", err)
	}
	// A third, after both: still no provisioning.
	if _, err := e.again().Up(ctx, e.lab, UpOptions{ID: "shop3", Provisioner: e.p}); err != nil || len(e.p.takeApplied()) != 0 {
		t.Errorf("third instance: %v", err)
	}
}

// upgraded is the fake with a hypervisor version that can change.
type upgraded struct {
	bare
	version *string
}

func (u upgraded) Fingerprint(context.Context) (string, error) { return *u.version, nil }

// TestHypervisorUpgradeTakesANewGoldenState: a saved state restores only
// under the QEMU that wrote it; after an upgrade, up provisions again
// instead of failing to restore.
func TestHypervisorUpgradeTakesANewGoldenState(t *testing.T) {
	e := newEnv(t)
	version := "qemu 7.2.0"
	e.m.Driver = opener(upgraded{bare{e.drv}, &version})
	e.up(t, e.m)
	e.p.takeApplied()
	m := e.again()
	e.up(t, m)
	if got := e.p.takeApplied(); len(got) != 0 {
		t.Fatalf("same hypervisor: provisioned again %q", got)
	}
	version = "qemu 8.0.0"
	e.up(t, e.again())
	if got := e.p.takeApplied(); len(got) == 0 {
		t.Error("after a QEMU upgrade the old golden state was restored")
	}
}
