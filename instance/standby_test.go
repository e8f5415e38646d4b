package instance

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/vm"
)

// withStandby is the fake with the standby role but no guest agent, so
// that clocks are set over SSH as with the bare fake.
type withStandby struct {
	vm.Driver
	vm.Standby
}

// standbyEnv is newEnv on a driver with standbys, prepared in the
// background as the CLI does; prepared receives each preparation's result.
func standbyEnv(t *testing.T) (*env, chan error) {
	e := newEnv(t)
	prepared := make(chan error, 10)
	e.m.Driver = opener(withStandby{bare{e.drv}, e.drv})
	e.m.Standbys = StandbyFunc(func(id string) error {
		go func() { prepared <- e.again().PrepareStandby(context.Background(), id) }()
		return nil
	})
	return e, prepared
}

func waitPrepared(t *testing.T, prepared chan error) {
	t.Helper()
	select {
	case err := <-prepared:
		if err != nil {
			t.Fatalf("prepare standby: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("standby never prepared")
	}
}

func TestResetByStandbyAlternates(t *testing.T) {
	e, prepared := standbyEnv(t)
	ctx := context.Background()
	e.up(t, e.m)
	waitPrepared(t, prepared)
	web := domainOf(t, e, "web")
	st, _ := LoadState(instDir(t, e.m.Home, "shop"))
	if !st.VMs["web"].Standby || !st.VMs["db"].Standby {
		t.Fatalf("after up: standby flags %+v %+v", st.VMs["web"], st.VMs["db"])
	}
	if got := e.drv.CallsLike("prepare " + web); len(got) != 1 || got[0] != "prepare "+web+"_b from "+web {
		t.Fatalf("prepare calls %q", got)
	}
	want := []string{web + "_b", web, web + "_b"}
	for i, dom := range want {
		inst, err := e.again().Reset(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if got := inst.State.VMs["web"].Domain; got != dom {
			t.Fatalf("reset %d: web runs as %s, want %s", i, got, dom)
		}
		if len(e.drv.CallsLike("restore ")) != 0 {
			t.Fatalf("reset %d restored instead of resuming the standby: %q", i, e.drv.Calls())
		}
		// The VM answers SSH on its port, from the domain that took over.
		s, err := inst.Dial(ctx, "web")
		if err != nil {
			t.Fatalf("reset %d: ssh: %v", i, err)
		}
		s.Close()
		waitPrepared(t, prepared)
		if st, _ := LoadState(inst.Dir); !st.VMs["web"].Standby {
			t.Fatalf("reset %d: no standby prepared after it", i)
		}
	}
	if got := e.drv.CallsLike("prepare " + web + " from"); len(got) != 2 || got[0] != "prepare "+web+" from "+web {
		t.Errorf("the owner domain was not reused as a standby: %q", got)
	}

	if err := e.again().Down(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if st, _ := LoadState(instDir(t, e.m.Home, "shop")); st.VMs["web"].Standby {
		t.Error("down kept the standby flag")
	}
	if v, ok := e.drv.VM(web); !ok || v.State != vm.StateStopped {
		t.Errorf("down left the standby %s running or paused: %+v", web, v)
	}
	if err := e.again().Destroy(ctx, "shop"); err != nil {
		t.Fatal(err)
	}
	if len(e.drv.VMs()) != 0 {
		t.Errorf("destroy left domains: %v", e.drv.VMs())
	}
}

func TestResetFallsBackWithoutStandby(t *testing.T) {
	e, prepared := standbyEnv(t)
	ctx := context.Background()
	e.up(t, e.m)
	waitPrepared(t, prepared)
	web := domainOf(t, e, "web")
	// The host rebooted, say: the standby is gone but the state says ready.
	if err := e.drv.Stop(ctx, web+"_b"); err != nil {
		t.Fatal(err)
	}
	inst, err := e.again().Reset(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	if inst.State.VMs["web"].Domain != web || len(e.drv.CallsLike("restore "+web+" ")) != 1 {
		t.Errorf("web runs as %s; calls %q", inst.State.VMs["web"].Domain, e.drv.Calls())
	}
	if inst.State.VMs["db"].Domain != domainOf(t, e, "db")+"_b" {
		t.Errorf("db's ready standby was not used: %s", inst.State.VMs["db"].Domain)
	}
	waitPrepared(t, prepared)
}

func TestNoStandbyPowersThemOff(t *testing.T) {
	e, prepared := standbyEnv(t)
	e.up(t, e.m)
	waitPrepared(t, prepared)
	m := e.again()
	m.NoStandby = true
	m.Standbys = StandbyFunc(func(string) error { t.Error("standby started though turned off"); return nil })
	inst, err := m.Reset(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if len(e.drv.CallsLike("restore ")) != 2 || len(e.drv.CallsLike("takeover")) != 0 {
		t.Errorf("calls %q", e.drv.Calls())
	}
	if inst.State.VMs["web"].Standby || len(e.drv.CallsLike("poweroff ")) != 2 {
		t.Errorf("standbys not powered off: calls %q", e.drv.Calls())
	}
}

func TestLockWaitsForStandby(t *testing.T) {
	dir := t.TempDir()
	u0, err := lockDir(context.Background(), dir) // the instance exists: its lock file too
	if err != nil {
		t.Fatal(err)
	}
	u0()
	unlock, err := lockAs(context.Background(), dir, holderStandby, 0)
	if err != nil {
		t.Fatal(err)
	}
	// While the command waits, the standby's warm-up sees it (and would
	// cut itself short); once it has the lock, no more.
	inst := &Instance{Dir: dir}
	waited := make(chan bool, 1)
	go func() {
		seen := false
		for end := time.Now().Add(150 * time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			seen = seen || inst.commandWaits()
		}
		waited <- seen
		unlock()
	}()
	start := time.Now()
	u2, err := lockDir(context.Background(), dir)
	if err != nil {
		t.Fatalf("a command did not wait for the standby's preparation: %v", err)
	}
	u2()
	if time.Since(start) < 150*time.Millisecond {
		t.Error("lock was not held")
	}
	if !<-waited {
		t.Error("a warm-up did not see the command waiting")
	}
	if inst.commandWaits() {
		t.Error("the command still shows as waiting after it took the lock")
	}
	u3, _ := lockAs(context.Background(), dir, "reset", 0)
	defer u3()
	if _, err := lockDir(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "another vlab command") {
		t.Errorf("a command waited for another command: %v", err)
	}
}

// A standby started just before a destroy must not bring the instance's
// folder back.
func TestPrepareStandbyAfterDestroy(t *testing.T) {
	e, prepared := standbyEnv(t)
	e.up(t, e.m)
	waitPrepared(t, prepared)
	if err := e.again().Destroy(context.Background(), "shop"); err != nil {
		t.Fatal(err)
	}
	if err := e.again().PrepareStandby(context.Background(), "shop"); err != nil {
		t.Errorf("PrepareStandby of a destroyed instance = %v, want nil", err)
	}
	if _, err := os.Stat(instDir(t, e.m.Home, "shop")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the destroyed instance's folder is back: %v", err)
	}
}

// A reset killed between the take-over and the record of it leaves the
// standby running with the VM's port while the state names the old domain:
// the next reset clears it and restores.
func TestResetAfterUnrecordedTakeOver(t *testing.T) {
	e, prepared := standbyEnv(t)
	ctx := context.Background()
	e.up(t, e.m)
	waitPrepared(t, prepared)
	web := domainOf(t, e, "web")
	st, _ := LoadState(instDir(t, e.m.Home, "shop"))
	if err := e.drv.TakeOver(ctx, web, web+"_b", st.VMs["web"].SSHPort); err != nil {
		t.Fatal(err)
	}
	inst, err := e.again().Reset(ctx, "shop")
	if err != nil {
		t.Fatal(err)
	}
	s, err := inst.Dial(ctx, "web")
	if err != nil {
		t.Fatalf("ssh after the reset: %v", err)
	}
	s.Close()
	if inst.State.VMs["web"].Domain != web || len(e.drv.CallsLike("poweroff "+web+"_b")) != 1 {
		t.Errorf("web runs as %s; calls %q", inst.State.VMs["web"].Domain, e.drv.Calls())
	}
	waitPrepared(t, prepared)
}

// withWarm is the fake with standbys that are warmed before a reset.
type withWarm struct {
	vm.Driver
	vm.Standby
	vm.Warmer
}

// TestWarmStandby: a standby runs once privately (a login on its own port
// that runs a command) before it is marked ready, and a reset then resumes
// it; with NoWarm it is left cold.
func TestWarmStandby(t *testing.T) {
	for _, noWarm := range []bool{false, true} {
		e, prepared := standbyEnv(t)
		e.m.Driver = opener(withWarm{bare{e.drv}, e.drv, e.drv})
		e.m.NoWarm = noWarm
		e.m.Standbys = StandbyFunc(func(id string) error {
			go func() {
				m := e.again()
				m.NoWarm = noWarm
				prepared <- m.PrepareStandby(context.Background(), id)
			}()
			return nil
		})
		ctx := context.Background()
		e.up(t, e.m)
		waitPrepared(t, prepared)
		web := domainOf(t, e, "web")
		logins := 0
		for _, c := range e.drv.Commands() {
			if c.VM == web+"_b" && c.Cmd == "true" {
				logins++
			}
		}
		warmed := len(e.drv.CallsLike("warm " + web + "_b"))
		if noWarm && (warmed != 0 || logins != 0) {
			t.Errorf("NoWarm: %d warm-ups, %d logins in the standby", warmed, logins)
		}
		if !noWarm && (warmed != 1 || logins != 1) {
			t.Errorf("warm-ups of %s_b: %d, logins in it: %d; want 1 and 1 (calls %q)", web, warmed, logins, e.drv.Calls())
		}
		inst, err := e.again().Reset(ctx, "shop")
		if err != nil {
			t.Fatal(err)
		}
		if got := inst.State.VMs["web"].Domain; got != web+"_b" || len(e.drv.CallsLike("restore ")) != 0 {
			t.Errorf("reset: web runs as %s, calls %q", got, e.drv.Calls())
		}
		s, err := inst.Dial(ctx, "web")
		if err != nil {
			t.Fatalf("ssh after a reset: %v", err)
		}
		s.Close()
		waitPrepared(t, prepared)
	}
}
