package instance

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/vm"
)

// Each VM of an instance owns a pair of domains: its own (DomainName,
// holding the golden state) and a partner with standbySuffix. One runs the
// VM; the other, between resets, waits as a standby: the golden state
// restored and paused (driver role vm.Standby). A reset hands the VM's SSH
// port to the standby and resumes it; the domain it replaced is restored
// as the next standby in the background. Lab and instance names hold no
// '_', so no other VM's domain can be named like a partner.
const standbySuffix = "_b"

// partner is the other domain of a VM's pair.
func partner(domain string) string {
	if base, ok := strings.CutSuffix(domain, standbySuffix); ok {
		return base
	}
	return domain + standbySuffix
}

// owner is the domain of the pair that holds the golden state.
func owner(domain string) string {
	base, _ := strings.CutSuffix(domain, standbySuffix)
	return base
}

// standbyDriver returns the driver's standby role when standbys are used.
func (m *Manager) standbyDriver(drv vm.Driver) (vm.Standby, bool) {
	sb, ok := drv.(vm.Standby)
	return sb, ok && !m.NoStandby
}

// takeOver hands every VM with a ready standby over to it and records each
// swap at once: from here the standby is the VM. It returns the VMs taken
// over; the others are restored the slow way. A failed take-over leaves the
// VM as it was (the driver undoes it).
func (m *Manager) takeOver(ctx context.Context, drv vm.Driver, inst *Instance) (map[string]bool, error) {
	done := map[string]bool{}
	sb, ok := m.standbyDriver(drv)
	if !ok {
		return done, nil
	}
	for _, n := range inst.State.VMNames() {
		v := inst.State.VMs[n]
		if !v.Standby {
			continue
		}
		v.Standby = false
		if err := sb.TakeOver(ctx, v.Domain, partner(v.Domain), v.SSHPort); err != nil {
			if m.Verbose != nil {
				fmt.Fprintf(m.Verbose, "vm %s: no take-over by its standby (%v); restoring it\n", n, err)
			}
			continue
		}
		v.Domain = partner(v.Domain)
		done[n] = true
		if err := SaveState(inst.Dir, inst.State); err != nil {
			return done, err
		}
	}
	// A cleared flag of a failed take-over is saved with the rest of the
	// reset; until then the next reset just tries that standby again.
	return done, nil
}

// startStandby has the instance's standbys prepared in the background.
func (m *Manager) startStandby(ctx context.Context, drv vm.Driver, inst *Instance) {
	if _, ok := drv.(vm.Standby); !ok {
		return
	}
	if m.NoStandby || m.Standbys == nil {
		return
	}
	if err := m.Standbys.StartStandby(inst.State.ID); err != nil {
		m.progress("warning: cannot prepare the standby of %s for fast resets: %v", inst.State.ID, err)
	}
}

// dropStandbys powers off every VM's partner domain, freeing its memory.
func (m *Manager) dropStandbys(ctx context.Context, sb vm.Standby, inst *Instance) error {
	for _, n := range inst.State.VMNames() {
		v := inst.State.VMs[n]
		if err := sb.PowerOff(ctx, partner(v.Domain)); err != nil {
			return err
		}
		v.Standby = false
	}
	return SaveState(inst.Dir, inst.State)
}

// PrepareStandby restores the golden state of every VM of instance id that
// has no standby yet into its partner domain, paused: the domain a reset
// replaced is reused; it warms each one (warmStandby) unless NoWarm. With
// Share, it keeps the warm-up's logins for ServeShared, and a login to
// each VM that no other process shares yet (after up, the VMs that run are
// no warmed standby's).
// It waits for the instance's lock, so it can be started by the command
// that still holds it; an instance that is gone
// (destroyed meanwhile) or not at its golden state is left alone.
func (m *Manager) PrepareStandby(ctx context.Context, id string) (err error) {
	dir, err := m.Home.Instance(id)
	if err != nil {
		return err
	}
	unlock, err := lockAs(ctx, dir, holderStandby, standbyWait)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	unlock = sync.OnceFunc(unlock)
	defer unlock()
	st, err := LoadState(dir)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Golden == nil || st.Phase != PhaseReady {
		return nil
	}
	drv, err := m.driver(ctx)
	if err != nil {
		return err
	}
	sb, ok := m.standbyDriver(drv)
	if !ok {
		return nil
	}
	inst := m.newInstance(dir, st)
	var logins []sharedLogin
	defer func() {
		unlock()
		if err != nil || !m.Share {
			for _, l := range logins {
				l.s.Close()
			}
			return
		}
		m.mu.Lock()
		m.shared = append(m.shared, sharedLogins{inst, logins})
		m.mu.Unlock()
	}()
	for _, n := range st.VMNames() {
		v := st.VMs[n]
		if v.Standby {
			continue
		}
		start := time.Now()
		if err := sb.PrepareStandby(ctx, owner(v.Domain), st.Golden.Tag, partner(v.Domain)); err != nil {
			return fmt.Errorf("standby of vm %s: %w", n, err)
		}
		how := ""
		// Standbys on a remote VM host stay cold: the warm-up's private
		// forward and login there are not proven (CI: a reset waited 2
		// minutes for one and gave up).
		if w, ok := drv.(vm.Warmer); ok && !m.NoWarm && !inst.commandWaits() && st.Connect == "" {
			warmed := time.Now()
			login, err := m.warmStandby(ctx, w, drv, inst, n, partner(v.Domain), m.Share)
			if err != nil {
				// Still a standby: a cold one, or TakeOver refuses it.
				m.progress("vm %s: standby %s not warmed: %v", n, partner(v.Domain), err)
			} else {
				how = fmt.Sprintf(", warmed in %.1fs", time.Since(warmed).Seconds())
			}
			if login != nil {
				logins = append(logins, sharedLogin{n, partner(v.Domain), login})
			}
		}
		v.Standby = true
		if err := SaveState(dir, st); err != nil {
			return err
		}
		m.progress("vm %s: standby %s ready in %.1fs%s", n, partner(v.Domain), time.Since(start).Seconds(), how)
	}
	if m.Share && !m.NoWarm && !inst.commandWaits() && st.Connect == "" {
		logins = append(logins, m.liveLogins(ctx, inst)...)
	}
	return nil
}
