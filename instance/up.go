package instance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
)

// goldenTag names the saved state every reset returns to.
const goldenTag = "golden"

// Provisioner prepares a lab's VMs after their first boot.
type Provisioner interface {
	// Key names everything that shapes a VM's provisioned state; an equal
	// key means the golden state can be reused.
	Key(ctx context.Context, lab *labfile.Lab, vmName string, img *images.Image) (string, error)
	// Apply provisions one VM over r.
	Apply(ctx context.Context, lab *labfile.Lab, vmName string, img *images.Image, r provision.Runner) error
}

// UpOptions tune Up.
type UpOptions struct {
	// ID names the instance; empty means the lab's name.
	ID string
	// Provisioner runs the lab's provision steps; nil provisions nothing.
	Provisioner Provisioner
	// Fresh discards a golden state and provisions again.
	Fresh bool
}

// Up brings a lab instance to its golden state: from the saved golden state
// when it is still valid, else by creating and provisioning the VMs and
// saving a new golden state. It picks up an instance an earlier Up left
// half-way: anything not yet golden is thrown away and redone.
func (m *Manager) Up(ctx context.Context, lab *labfile.Lab, opt UpOptions) (*Instance, error) {
	id := opt.ID
	if id == "" {
		id = lab.Name
	}
	dir, err := m.Home.Instance(id)
	if err != nil {
		return nil, err
	}
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	inst, err := m.load(dir, id, lab)
	if err != nil {
		return nil, err
	}
	imgs, err := m.resolveImages(lab)
	if err != nil {
		return nil, err
	}
	drv, err := m.driver(ctx)
	if err != nil {
		return nil, err
	}
	remote := ""
	if h, ok := drv.(vm.HostDialer); ok && h.Remote() {
		remote = m.Connect
	}
	if len(inst.State.VMs) > 0 && inst.State.Connect != remote {
		where := inst.State.Connect
		if where == "" {
			where = "this machine"
		}
		return nil, fmt.Errorf("instance %s runs on %s; pick another name with --instance, or `vlab destroy %s` first", id, where, id)
	}
	inst.State.Connect = remote
	key, err := m.goldenKey(ctx, drv, lab, imgs, opt.Provisioner)
	if err != nil {
		return nil, err
	}
	st := inst.State
	if g := st.Golden; g != nil && g.Key == key && !opt.Fresh {
		m.progress("starting %s from its golden state (taken %s)", id, g.Taken.Local().Format(time.Stamp))
		return inst, m.restore(ctx, drv, inst)
	}
	if st.Golden != nil || st.Phase != PhaseCreating || opt.Fresh {
		m.progress("discarding the old VMs of %s (lab changed or an earlier up was cut short)", id)
		if err := m.destroyVMs(ctx, drv, inst); err != nil {
			return nil, err
		}
		st.Golden, st.Phase = nil, PhaseCreating
	}
	if !opt.Fresh {
		ok, err := m.adopt(ctx, drv, inst, lab, imgs, key)
		if ok || ctx.Err() != nil {
			return inst, err
		}
		if err != nil {
			m.progress("%v: %v; provisioning instead", errNoAdopt, err)
			if err := m.destroyVMs(ctx, drv, inst); err != nil {
				return nil, err
			}
			st.Golden, st.Phase = nil, PhaseCreating
		}
	}
	if err := m.create(ctx, drv, inst, lab, imgs); err != nil {
		return nil, err
	}
	if err := m.provision(ctx, drv, inst, lab, imgs, opt.Provisioner); err != nil {
		return nil, err
	}
	if err := m.snapshot(ctx, drv, inst, key); err != nil {
		return nil, err
	}
	m.publish(ctx, drv, inst)
	return inst, nil
}

// load reads the instance's state or starts a new one with a fresh key
// and uid. The uid is also written beside the state, before anything is
// made in the hypervisor, so that destroy finds the instance's domains and
// networks even when state.json is lost.
func (m *Manager) load(dir, id string, lab *labfile.Lab) (*Instance, error) {
	st, err := LoadState(dir)
	if errors.Is(err, ErrNotFound) {
		st = &State{ID: id, Lab: lab.Name, Driver: m.driverName(), Phase: PhaseCreating,
			Created: time.Now().UTC(), VMs: map[string]*VMState{}}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if st.Lab != lab.Name {
		return nil, fmt.Errorf("instance %s runs lab %s, not %s; pick another name with --instance", id, st.Lab, lab.Name)
	}
	if st.UID == "" {
		if len(st.VMs) > 0 || len(st.Networks) > 0 {
			return nil, fmt.Errorf("instance %s was made by an older vlab whose VMs carry no instance uid: `vlab destroy %s`, then `vlab up` again", id, id)
		}
		if st.UID, err = readUID(dir); err != nil {
			return nil, err
		}
		if st.UID == "" {
			if st.UID, err = newUID(); err != nil {
				return nil, err
			}
		}
		if err := writeAtomic(filepath.Join(dir, uidFile), []byte(st.UID+"\n"), 0o644); err != nil {
			return nil, err
		}
	}
	st.LabDir, _ = filepath.Abs(lab.Dir)
	inst := m.newInstance(dir, st)
	keys := []string{keyFile}
	if _, ok := lab.Observer(); ok {
		keys = append(keys, observerKeyFile)
	}
	for _, name := range keys {
		if _, err := os.Stat(filepath.Join(dir, name)); errors.Is(err, os.ErrNotExist) {
			priv, _, err := provision.NewKey("vlab-" + id)
			if err != nil {
				return nil, err
			}
			if err := writeAtomic(filepath.Join(dir, name), priv, 0o600); err != nil {
				return nil, err
			}
		}
	}
	return inst, SaveState(dir, st)
}

// resolveImages finds every image the lab's VMs use.
func (m *Manager) resolveImages(lab *labfile.Lab) (map[string]*images.Image, error) {
	out := map[string]*images.Image{}
	for _, v := range lab.VMs {
		img, err := m.Images.Get(v.Image)
		if errors.Is(err, images.ErrNotFound) {
			return nil, fmt.Errorf("vm %s: image %q is not built: run `vlab images build %s`", v.Name, v.Image, v.Image)
		}
		if err != nil {
			return nil, err
		}
		out[v.Name] = img
	}
	return out, nil
}

func (m *Manager) goldenKey(ctx context.Context, drv vm.Driver, lab *labfile.Lab, imgs map[string]*images.Image, p Provisioner) (string, error) {
	// A saved memory state restores only under the hypervisor and
	// accelerator it was taken with: a QEMU upgrade takes a new one
	// rather than failing every restore.
	accel, err := m.accel(ctx)
	if err != nil {
		return "", err
	}
	parts := []any{"vlab-golden-3", accel} // 3: triggers frozen in the state, waited for
	if f, ok := drv.(vm.Fingerprinter); ok {
		fp, err := f.Fingerprint(ctx)
		if err != nil {
			return "", err
		}
		parts = append(parts, fp)
	}
	for _, v := range lab.VMs {
		parts = append(parts, v.Name, v.Memory, v.CPUs, v.Networks, imgs[v.Name].Digest)
		if v.Disk != "" || len(v.Disks) > 0 {
			parts = append(parts, v.RootBytes(), v.Disks) // only then: other labs' keys stay as they were
		}
		if len(lab.Networks) > 0 {
			parts = append(parts, hostsOf(lab, v.Name)) // its own name's address changed in session 15
		}
		if p != nil {
			k, err := p.Key(ctx, lab, v.Name, imgs[v.Name])
			if err != nil {
				return "", err
			}
			parts = append(parts, k)
		}
	}
	return provision.Key(parts...)
}

// create makes and boots every VM that is not there yet and waits for SSH.
func (m *Manager) create(ctx context.Context, drv vm.Driver, inst *Instance, lab *labfile.Lab, imgs map[string]*images.Image) error {
	accel, pubs, nics, err := m.prepare(ctx, drv, inst, lab)
	if err != nil {
		return err
	}
	for _, v := range lab.VMs {
		if err := m.createVM(ctx, drv, inst, v, imgs[v.Name], accel, pubs[v.Name], nics[v.Name]); err != nil {
			return err
		}
		inst.State.VMs[v.Name].Triggers = runsTriggers(lab, v.Name) // saved with the next step
	}
	if err := m.waitAll(ctx, drv, inst); err != nil {
		return err
	}
	return m.guestSetup(ctx, inst, lab)
}

func (m *Manager) createVM(ctx context.Context, drv vm.Driver, inst *Instance, v labfile.VM, img *images.Image, accel vm.Accel, pub string, nics []nic) error {
	name := DomainName(inst.State.UID, inst.State.ID, v.Name)
	if st, err := drv.State(ctx, name); err != nil {
		return err
	} else if st != vm.StateAbsent {
		if err := inst.provenOwn(ctx, drv, name); err != nil {
			return err
		}
		if inst.State.VMs[v.Name] != nil {
			return drv.Start(ctx, name)
		}
		// Made by an up that was cut short before it was recorded.
		if err := drv.Destroy(ctx, name); err != nil {
			return err
		}
	}
	m.progress("creating vm %s (%s, %d MiB, %d cpu, %s)", v.Name, img.Name, v.Memory, v.CPUs, accel)
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		spec := vmSpec(inst, v, img, accel, pub, nics, port)
		inst.State.VMs[v.Name] = &VMState{Domain: name, SSHPort: port, Image: img.Name, Digest: img.Digest, Observer: v.Observer}
		if err := SaveState(inst.Dir, inst.State); err != nil {
			return err
		}
		err = drv.Create(ctx, spec)
		if err != nil && !errors.Is(err, vm.ErrExists) {
			// Leave nothing half-made behind: a rerun creates it afresh.
			drv.Destroy(ctx, name)
		}
		if errors.Is(err, vm.ErrPortInUse) && attempt < 3 {
			continue
		}
		return err
	}
}

// prepare readies what the instance's new VMs share: the accelerator
// (recorded), the public key each VM's kernel command line carries (the
// observer's own for the observer), and the lab networks (made) with each
// VM's interfaces on them.
func (m *Manager) prepare(ctx context.Context, drv vm.Driver, inst *Instance, lab *labfile.Lab) (vm.Accel, map[string]string, map[string][]nic, error) {
	accel, err := m.accel(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	inst.State.Accel = string(accel)
	pubs := map[string]string{}
	for _, v := range lab.VMs {
		if pubs[v.Name], err = inst.publicKey(keyFileFor(v)); err != nil {
			return "", nil, nil, err
		}
	}
	if err := m.ensureNetworks(ctx, drv, inst, lab); err != nil {
		return "", nil, nil, err
	}
	return accel, pubs, labNICs(lab), nil
}

// accel decides KVM or TCG for new VMs.
func (m *Manager) accel(ctx context.Context) (vm.Accel, error) {
	if m.Accel == nil {
		return "", errors.New("instance: the manager cannot decide KVM or TCG: no Accel")
	}
	return m.Accel.Accel(ctx)
}

// waitAll waits for every VM's SSH at once.
func (m *Manager) waitAll(ctx context.Context, drv vm.Driver, inst *Instance) error {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(inst.State.VMs))
	for i, n := range inst.State.VMNames() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.waitSSH(ctx, drv, inst, n)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	m.progress("ssh up on %d vm(s) after %.1fs", len(errs), time.Since(start).Seconds())
	return nil
}

// provision runs the lab's provision steps on every VM, in lab order.
func (m *Manager) provision(ctx context.Context, drv vm.Driver, inst *Instance, lab *labfile.Lab, imgs map[string]*images.Image, p Provisioner) error {
	inst.State.Phase = PhaseProvisioning
	if err := SaveState(inst.Dir, inst.State); err != nil {
		return err
	}
	if p == nil {
		return nil
	}
	for _, v := range lab.VMs {
		s, err := inst.Dial(ctx, v.Name)
		if err != nil {
			return err
		}
		err = p.Apply(ctx, lab, v.Name, imgs[v.Name], s)
		s.Close()
		if err != nil {
			return fmt.Errorf("provision vm %s: %w", v.Name, err)
		}
	}
	return nil
}

// snapshot saves every VM as the golden state, with its triggers frozen
// (warm.go). All VMs are paused first so that the saved states belong to
// one moment.
func (m *Manager) snapshot(ctx context.Context, drv vm.Driver, inst *Instance, key string) error {
	inst.State.Phase = PhaseSnapshotting
	if err := SaveState(inst.Dir, inst.State); err != nil {
		return err
	}
	start := time.Now()
	// The guests' page caches are kept: under TCG every restore touches
	// all guest RAM anyway, and a guest whose sshd and libraries must come
	// back from disk answers its first login 0.5-1 s later (measured).
	if err := m.freezeAll(ctx, drv, inst); err != nil {
		return err
	}
	for _, n := range inst.State.VMNames() {
		if err := drv.Pause(ctx, inst.State.VMs[n].Domain); err != nil {
			return err
		}
	}
	for _, n := range inst.State.VMNames() {
		if err := drv.Snapshot(ctx, inst.State.VMs[n].Domain, goldenTag); err != nil {
			return err
		}
	}
	inst.State.Golden = &Golden{Key: key, Tag: goldenTag, Taken: time.Now().UTC()}
	inst.State.Phase = PhaseReady
	m.progress("golden state saved in %.1fs", time.Since(start).Seconds())
	if err := SaveState(inst.Dir, inst.State); err != nil {
		return err
	}
	// Snapshot leaves each VM running on from its saved state: stale clock.
	if err := m.reviveAll(ctx, drv, inst); err != nil {
		return err
	}
	m.startStandby(ctx, drv, inst)
	return nil
}
