package instance

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
)

// A golden state holds the lab's triggers frozen (their cgroups, through
// cgroup v2's freezer): snapshot freezes them just before the VMs pause,
// and every VM that comes back from the golden state thaws them in the
// same guest command that sets its clock. So a standby can run before it
// takes over (warmStandby) without its clients sending a request or
// counting a second: the trainee meets the same clients after a warm reset
// as after a cold restore.

// triggerCgroups matches the cgroup.freeze files of the lab's triggers.
var triggerCgroups = "/sys/fs/cgroup/system.slice/" + provision.TriggerUnit(labfile.Trigger{Name: "*"}) + "/cgroup.freeze"

// runsTriggers tells whether the lab runs triggers in VM name.
func runsTriggers(lab *labfile.Lab, name string) bool {
	for _, t := range lab.Triggers {
		if t.VM == name {
			return true
		}
	}
	return false
}

// freezeTriggers is the shell command that freezes (or thaws) every
// trigger of the guest; a guest without triggers does nothing. A freeze
// takes effect when each process next enters the kernel: the command
// waits (up to 5 s) until cgroup.events says frozen, so that a state saved
// right after it holds no trigger that still runs.
func freezeTriggers(frozen bool) string {
	if !frozen {
		return "for f in " + triggerCgroups + `; do [ ! -e "$f" ] || echo 0 > "$f"; done`
	}
	return "for f in " + triggerCgroups + `; do [ -e "$f" ] || continue; echo 1 > "$f"; ` +
		`e="${f%.freeze}.events"; i=0; while ! grep -qx 'frozen 1' "$e" && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; done`
}

// guestResume is what a VM runs when it comes back from the golden state:
// its clock stood still while the state was saved; its triggers thaw
// unless the VM is only being warmed. The guest agent's own guest-set-time
// is not used for the clock: it then runs `hwclock -w`, which busy-waits up
// to a second for the RTC to tick (measured: 0.6-1.5 s under TCG against
// ~0.15 s for date). The clock lands behind now by the time the command
// takes to start in the guest.
func guestResume(now time.Time, thaw bool) string {
	cmd := fmt.Sprintf("date -u -s @%d.%09d >/dev/null", now.Unix(), now.Nanosecond())
	if thaw {
		cmd += " && " + freezeTriggers(false)
	}
	return cmd
}

// warmStandby runs VM vmName's paused standby privately (vm.Warmer) the
// way a reset will: the agent command that sets its clock (not thawing the
// triggers) and a login that runs a command, then pauses it again. Under
// emulation this is what makes a reset fast: the guest's agent, sshd and
// shell have run once in this QEMU, whose translated code a take-over
// keeps. What it leaves in the guest: the clock moves on by the warm-up,
// sshd's log has one more login by vlab's key, from QEMU's address. With
// keep, the login stays open and is returned, for Share: it reaches the
// VM once the standby takes over (moving the port forward does not cut a
// connection made through the private one).
func (m *Manager) warmStandby(ctx context.Context, w vm.Warmer, drv vm.Driver, inst *Instance, vmName, standby string, keep bool) (*provision.SSH, error) {
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cfg, err := inst.sshConfig(wctx, vmName)
	if err != nil {
		return nil, err
	}
	var login *provision.SSH
	visit := func(ctx context.Context) error {
		// The agent's channel comes back a moment after the first resume
		// of a restored guest ("not connected"): ask again for a while.
		for try := 0; ; try++ {
			err := resumeThroughAgent(ctx, drv, standby, inst.State.VMs[vmName].Triggers, false)
			if err == nil || errors.Is(err, errNoAgent) {
				break
			}
			if try == 30 || ctx.Err() != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
		s, err := provision.WaitSSH(ctx, cfg)
		if err != nil {
			return err
		}
		var out strings.Builder
		if code, err := s.Run(ctx, "true", nil, &out, &out); err != nil || code != 0 {
			s.Close()
			return fmt.Errorf("login: exit %d %v %s", code, err, out.String())
		}
		login = s
		return nil
	}
	// A reset waiting for the instance's lock cuts the warm-up short: the
	// standby stays, cold, and the reset takes it over at once rather than
	// wait for the warm-up (or take the slow way).
	go func() {
		for wctx.Err() == nil {
			if inst.commandWaits() {
				cancel()
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}()
	for attempt := 0; ; attempt++ {
		if inst.commandWaits() {
			return nil, errCommandWaits
		}
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cfg.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		err = w.Warm(wctx, standby, port, visit)
		if err != nil && inst.commandWaits() {
			err = errCommandWaits
		}
		if err == nil && keep {
			return login, nil
		}
		if login != nil {
			login.Close()
			login = nil
		}
		if !errors.Is(err, vm.ErrPortInUse) || attempt == 2 {
			return nil, err
		}
	}
}

// commandWaiting is the file a command (reset, up, down, destroy) makes in
// the instance's folder while it waits for the lock (lockDir): a standby
// being warmed cuts its warm-up short for it.
const commandWaiting = "command-waiting"

var errCommandWaits = errors.New("a command is waiting for it")

// commandWaits tells whether a command waits for the instance's lock now:
// a file left by one that was killed counts for standbyWait only.
func (i *Instance) commandWaits() bool {
	fi, err := os.Stat(filepath.Join(i.Dir, commandWaiting))
	return err == nil && time.Since(fi.ModTime()) < standbyWait
}

// errNoAgent: the driver has no way into a guest but SSH.
var errNoAgent = errors.New("no guest agent")

// resumeThroughAgent does, through the driver's guest agent, what a VM
// does when it comes back from the golden state (guestResume): only the
// clock (guest-set-time, the cheapest) unless the VM has triggers to thaw.
func resumeThroughAgent(ctx context.Context, drv vm.Driver, dom string, triggers, thaw bool) error {
	if c, ok := drv.(vm.Clock); ok && !triggers {
		err := c.SetClock(ctx, dom, time.Now())
		if _, run := drv.(vm.GuestRunner); err == nil || !run {
			return err
		}
		// An image without vlab's hwclock stand-in: the agent refuses
		// guest-set-time; date through guest-exec below.
	}
	if gr, ok := drv.(vm.GuestRunner); ok {
		return gr.GuestRun(ctx, dom, []string{"/bin/sh", "-c", guestResume(time.Now(), thaw)}, nil)
	}
	return errNoAgent
}

// freezeAll freezes the triggers of every VM of the instance that runs
// some, just before the golden state is saved.
func (m *Manager) freezeAll(ctx context.Context, drv vm.Driver, inst *Instance) error {
	for _, n := range inst.State.VMNames() {
		if !inst.State.VMs[n].Triggers {
			continue
		}
		cmd := freezeTriggers(true)
		if gr, ok := drv.(vm.GuestRunner); ok {
			if err := gr.GuestRun(ctx, inst.State.VMs[n].Domain, []string{"/bin/sh", "-c", cmd}, nil); err == nil {
				continue
			}
		}
		s, err := inst.Dial(ctx, n)
		if err != nil {
			return err
		}
		var out strings.Builder
		code, err := s.Run(ctx, cmd, nil, &out, &out)
		s.Close()
		if err != nil || code != 0 {
			return fmt.Errorf("freeze the triggers of vm %s: exit %d %v %s", n, code, err, out.String())
		}
	}
	return nil
}
