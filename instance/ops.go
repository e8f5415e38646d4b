package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
)

// authorizedKey is the public key that opens vmName, base64 for the
// kernel command line.
func (i *Instance) authorizedKey(vmName string) (string, error) {
	return i.publicKey(i.keyFileOf(vmName))
}

// publicKey is the public half of the instance's key in file name, base64.
func (i *Instance) publicKey(name string) (string, error) {
	priv, err := i.readKey(name)
	if err != nil {
		return "", err
	}
	return provision.AuthorizedBase64(priv)
}

// keyFileFor is the key file of a lab's VM: the observer's own, or the
// trainee's.
func keyFileFor(v labfile.VM) string {
	if v.Observer {
		return observerKeyFile
	}
	return keyFile
}

// Reset returns every VM of the instance to the golden state.
func (m *Manager) Reset(ctx context.Context, id string) (*Instance, error) {
	dir, err := m.Home.Instance(id)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	st, err := LoadState(dir)
	if err != nil {
		return nil, err
	}
	inst := m.newInstance(dir, st)
	if st.Golden == nil {
		return nil, fmt.Errorf("instance %s has no golden state yet: run `vlab up %s` first", id, st.Lab)
	}
	drv, err := m.driver(ctx)
	if err != nil {
		return nil, err
	}
	return inst, m.restore(ctx, drv, inst)
}

// restore brings all VMs back to the golden state, each VM on its own:
// restore, then set its clock (it stands still while a state is saved) and
// wait for its sshd.
func (m *Manager) restore(ctx context.Context, drv vm.Driver, inst *Instance) error {
	start := time.Now()
	if err := m.startNetworks(ctx, drv, inst); err != nil {
		return err
	}
	resumed, err := m.takeOver(ctx, drv, inst)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	names := inst.State.VMNames()
	errs := make([]error, len(names))
	took := make([]time.Duration, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !resumed[n] {
				if sb, ok := drv.(vm.Standby); ok {
					// Whatever runs as the partner (a standby that could
					// not take over or is turned off, a domain a killed
					// reset left with the VM's port) goes: the restore
					// needs the port, and the memory.
					if errs[i] = sb.PowerOff(ctx, partner(inst.State.VMs[n].Domain)); errs[i] != nil {
						return
					}
					inst.mu.Lock()
					inst.State.VMs[n].Standby = false
					inst.mu.Unlock()
				}
				if errs[i] = m.restoreVM(ctx, drv, inst, n); errs[i] != nil {
					return
				}
			}
			took[i] = time.Since(start)
			errs[i] = m.revive(ctx, drv, inst, n)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		if errors.Is(err, vm.ErrNotFound) {
			return fmt.Errorf("%w; the golden state is gone: `vlab up --fresh %s` provisions again", err, inst.State.Lab)
		}
		return err
	}
	inst.State.Phase = PhaseReady
	if err := SaveState(inst.Dir, inst.State); err != nil {
		return err
	}
	var restored time.Duration
	if len(took) > 0 {
		restored = slices.Max(took)
	}
	how := "restore"
	if len(resumed) == len(names) {
		how = "standby resumed"
	}
	m.progress("%s is back at its golden state (%.1fs: %s %.1fs, clock and sshd %.1fs)", inst.State.ID,
		time.Since(start).Seconds(), how, restored.Seconds(), (time.Since(start) - restored).Seconds())
	m.startStandby(ctx, drv, inst)
	return nil
}

// restoreVM restores one VM to the golden state. The state holds the SSH
// port the VM was saved with; when another program took it since, the VM
// comes back on a new port, recorded in the instance's state.
func (m *Manager) restoreVM(ctx context.Context, drv vm.Driver, inst *Instance, n string) error {
	v, tag := inst.State.VMs[n], inst.State.Golden.Tag
	err := drv.Restore(ctx, v.Domain, tag)
	pr, ok := drv.(vm.PortRestorer)
	if !errors.Is(err, vm.ErrPortInUse) || !ok {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	m.progress("vm %s: its SSH port %d is taken; moving it to %d", n, v.SSHPort, port)
	if err := pr.RestoreOnPort(ctx, v.Domain, tag, port); err != nil {
		return err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	v.SSHPort = port
	return SaveState(inst.Dir, inst.State)
}

// reviveAll revives every VM of the instance at once.
func (m *Manager) reviveAll(ctx context.Context, drv vm.Driver, inst *Instance) error {
	var wg sync.WaitGroup
	names := inst.State.VMNames()
	errs := make([]error, len(names))
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.revive(ctx, drv, inst, n)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// revive sets the clock of a VM just resumed from a saved state, thaws its
// triggers (guestResume) and waits until its sshd answers. The command runs
// through the driver's guest agent where it has one (no login: under
// emulation a key exchange costs more than the rest of a reset), while the
// banner is awaited; else over SSH.
func (m *Manager) revive(ctx context.Context, drv vm.Driver, inst *Instance, vmName string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cfg, err := inst.sshConfig(ctx, vmName)
	if err != nil {
		return err
	}
	banner := make(chan error, 1)
	go func() { banner <- provision.WaitBanner(ctx, cfg) }()
	v := inst.State.VMs[vmName]
	start := time.Now()
	if err := resumeThroughAgent(ctx, drv, v.Domain, v.Triggers, true); !errors.Is(err, errNoAgent) {
		if err == nil {
			clock := time.Since(start)
			if err := <-banner; err != nil {
				return fmt.Errorf("vm %s after restore: sshd does not answer: %w", vmName, err)
			}
			if m.Verbose != nil {
				fmt.Fprintf(m.Verbose, "vm %s: clock set and triggers thawed in %.2fs, sshd answered after %.2fs\n", vmName, clock.Seconds(), time.Since(start).Seconds())
			}
			return nil
		}
		if m.Verbose != nil {
			fmt.Fprintf(m.Verbose, "vm %s: %v; setting its clock over SSH\n", vmName, err)
		}
	}
	<-banner // the login below waits and says why it failed
	s, err := provision.WaitSSH(ctx, cfg)
	if err != nil {
		return fmt.Errorf("vm %s after restore: %w", vmName, err)
	}
	defer s.Close()
	var out strings.Builder
	if code, err := s.Run(ctx, guestResume(time.Now(), v.Triggers), nil, &out, &out); err != nil || code != 0 {
		return fmt.Errorf("set clock of vm %s: exit %d %v %s", vmName, code, err, out.String())
	}
	return nil
}

// Down stops the instance's VMs and keeps everything else.
func (m *Manager) Down(ctx context.Context, id string) error {
	dir, err := m.Home.Instance(id)
	if err != nil {
		return err
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := LoadState(dir)
	if err != nil {
		return err
	}
	drv, err := m.driver(ctx)
	if err != nil {
		return err
	}
	for _, n := range st.VMNames() {
		m.progress("stopping vm %s", n)
		if err := drv.Stop(ctx, st.VMs[n].Domain); err != nil {
			return err
		}
	}
	if sb, ok := drv.(vm.Standby); ok {
		if err := m.dropStandbys(ctx, sb, m.newInstance(dir, st)); err != nil {
			return err
		}
	}
	if st.Phase == PhaseReady {
		st.Phase = PhaseStopped
	}
	return SaveState(dir, st)
}

// Destroy removes the instance's VMs, disks, saved states, key and state.
// Destroying an instance that does not exist is not an error. It removes
// only what proves the instance's own (see destroyVMs), and works from
// whatever is left: with state.json truncated or gone, the uid file finds
// the instance's domains and networks; with the uid unreadable too, only
// the folder is removed, with a warning saying what to look for.
func (m *Manager) Destroy(ctx context.Context, id string) error {
	dir, err := m.Home.Instance(id)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := LoadState(dir)
	loaded := err == nil
	if !loaded {
		// Unreadable or missing: what the hypervisor knows by the uid.
		st = &State{ID: id, VMs: map[string]*VMState{}}
		if st.UID, err = readUID(dir); err != nil || st.UID == "" {
			// Nothing proves a domain or network the instance's: leave them
			// all alone, remove only the folder, and say what to check.
			m.progress("warning: instance %s has no readable state.json or uid, so nothing in libvirt is proven its own and none was destroyed; "+
				"look for its leftovers (vlab-*-%s-*) with `virsh list --all` and `virsh net-list --all`", id, id)
			st.UID = ""
		}
	}
	if loaded || st.UID != "" {
		drv, err := m.driver(ctx)
		if err != nil {
			return err
		}
		if err := m.destroyVMs(ctx, drv, m.newInstance(dir, st)); err != nil {
			return err
		}
	}
	return os.RemoveAll(dir)
}

// VMStatus is one row of `vlab status`.
type VMStatus struct {
	Instance string `json:"instance"`
	Lab      string `json:"lab"`
	VM       string `json:"vm"`
	Domain   string `json:"domain"`
	State    string `json:"state"`
	Phase    string `json:"phase"`
	SSH      string `json:"ssh"`
	Golden   bool   `json:"golden"`
	Accel    string `json:"accel"`
	// Standby tells that a paused copy of the golden state waits to take
	// the VM's place at the next reset.
	Standby bool `json:"standby"`
	// Observer marks the lab's observer VM, which the status table leaves
	// out: it is not the trainee's.
	Observer bool `json:"observer,omitempty"`
	// Host is the libvirt URI of the remote host the VM runs on; empty for
	// this machine. SSH is then an address on that host.
	Host string `json:"host,omitempty"`
	// Error tells why the instance could not be read or asked about; its
	// State is then "broken" or "unknown".
	Error string `json:"error,omitempty"`
}

// Status reports every VM of the given instances (all when ids is empty).
func (m *Manager) Status(ctx context.Context, ids ...string) ([]VMStatus, error) {
	if len(ids) == 0 {
		var err error
		if ids, err = m.Home.IDs(); err != nil {
			return nil, err
		}
	}
	var out []VMStatus
	for _, id := range ids {
		dir, err := m.Home.Instance(id)
		if err != nil {
			return nil, err
		}
		st, err := LoadState(dir)
		if errors.Is(err, ErrNotFound) && len(ids) == 1 {
			return nil, err
		}
		if err != nil {
			// One broken instance does not hide the others.
			out = append(out, VMStatus{Instance: id, State: "broken", Error: err.Error()})
			continue
		}
		drv, err := m.driver(ctx)
		if err != nil {
			return nil, err
		}
		for _, n := range st.VMNames() {
			v := st.VMs[n]
			row := VMStatus{Instance: id, Lab: st.Lab, VM: n, Domain: v.Domain, Phase: string(st.Phase),
				SSH: fmt.Sprintf("127.0.0.1:%d", v.SSHPort), Golden: st.Golden != nil, Accel: st.Accel, Standby: v.Standby, Host: st.Connect,
				Observer: v.Observer}
			state, err := drv.State(ctx, v.Domain)
			row.State = string(state)
			if err != nil {
				row.State, row.Error = "unknown", err.Error()
			}
			out = append(out, row)
		}
	}
	return out, nil
}
