package instance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
)

// clockDriver is the bare fake with a guest agent that sets clocks and
// runs programs, or fails to when broken; it records what it did.
type clockDriver struct {
	vm.Driver
	mu     sync.Mutex
	broken bool
	set    []string // clocks set alone, by domain
	thawed []string // clocks set and triggers thawed, by domain
	frozen []string // triggers frozen, by domain
}

func (c *clockDriver) SetClock(_ context.Context, name string, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return errors.New("guest agent not connected")
	}
	if time.Since(t).Abs() > time.Minute {
		return fmt.Errorf("clock of %s set to %v, not now", name, t)
	}
	c.set = append(c.set, name)
	return nil
}

func (c *clockDriver) GuestRun(_ context.Context, name string, argv []string, _ []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return errors.New("guest agent not connected")
	}
	cmd := strings.Join(argv, " ")
	switch {
	case strings.Contains(cmd, "date -u -s @") && strings.Contains(cmd, "echo 0 > \"$f\""):
		c.thawed = append(c.thawed, name)
	case strings.Contains(cmd, "echo 1 > \"$f\"") && strings.Contains(cmd, "vlab-trigger-*.service/cgroup.freeze"):
		c.frozen = append(c.frozen, name)
	default:
		return fmt.Errorf("vm %s: unexpected program %q", name, cmd)
	}
	return nil
}

// TestResetSetsClocksThroughAgent: after the golden snapshot and after a
// reset, each VM's clock is set through the guest agent, alone where the
// VM runs no trigger, in one command that also thaws them where it does
// (they were frozen for the snapshot); without an agent, over SSH.
func TestResetSetsClocksThroughAgent(t *testing.T) {
	for _, broken := range []bool{false, true} {
		e := newEnv(t)
		e.lab.Triggers = []labfile.Trigger{{Name: "load", VM: "db", Command: "true"}}
		cd := &clockDriver{Driver: bare{e.drv}, broken: broken}
		e.m.Driver = opener(cd)
		e.up(t, e.m)
		before := guestClockCommands(e.drv)
		if _, err := e.again().Reset(context.Background(), "shop"); err != nil {
			t.Fatal(err)
		}
		web, db := domainOf(t, e, "web"), domainOf(t, e, "db")
		bySSH := guestClockCommands(e.drv) - before
		// After the golden snapshot and after the reset: twice each.
		if !broken && (!slices.Equal(cd.set, []string{web, web}) || !slices.Equal(cd.thawed, []string{db, db}) || bySSH != 0) {
			t.Errorf("working agent: clocks set %q, with a thaw %q, %d over SSH; want web twice, db twice, 0", cd.set, cd.thawed, bySSH)
		}
		if !broken && !slices.Equal(cd.frozen, []string{db}) {
			t.Errorf("triggers frozen before the golden snapshot in %q, want db's", cd.frozen)
		}
		if broken && bySSH != 2 {
			t.Errorf("broken agent: %d clocks set over SSH, want 2 (one per VM)", bySSH)
		}
	}
}
