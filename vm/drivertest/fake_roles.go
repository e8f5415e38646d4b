package drivertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/vm"
)

// PrepareStandby copies owner's saved guest into a paused standby.
func (f *Fake) PrepareStandby(ctx context.Context, owner, tag, standby string) error {
	defer f.sync()
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.get(owner)
	if err != nil {
		return err
	}
	g, ok := o.saves[tag]
	if !ok {
		return fmt.Errorf("vm %s has no saved state %q: %w", owner, tag, vm.ErrNotFound)
	}
	f.record("prepare %s from %s", standby, owner)
	spec := o.spec
	spec.Name, spec.Labels = standby, maps.Clone(o.spec.Labels)
	f.vms[standby] = &fakeVM{spec: spec, state: vm.StatePaused, guest: g.clone(),
		saves: map[string]fakeGuest{tag: g.clone()}, noFwd: true}
	return nil
}

// TakeOver gives the paused standby name's SSH port and runs it.
func (f *Fake) TakeOver(ctx context.Context, name, standby string, port int) error {
	defer f.sync()
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.vms[standby]
	if !ok || sb.state != vm.StatePaused {
		return fmt.Errorf("standby %s: %w", standby, vm.ErrNotFound)
	}
	f.record("takeover %s by %s", name, standby)
	if old, ok := f.vms[name]; ok {
		if old.state == vm.StateRunning {
			old.state = vm.StatePaused
		}
		old.noFwd = true
	}
	sb.spec.SSHPort, sb.noFwd, sb.state = port, false, vm.StateRunning
	return nil
}

// Warm runs the paused standby on sshPort for visit, then pauses it.
func (f *Fake) Warm(ctx context.Context, standby string, sshPort int, visit func(ctx context.Context) error) error {
	f.mu.Lock()
	sb, ok := f.vms[standby]
	if !ok || sb.state != vm.StatePaused {
		f.mu.Unlock()
		return fmt.Errorf("standby %s: %w", standby, vm.ErrNotFound)
	}
	for _, o := range f.vms {
		if !o.noFwd && o.state == vm.StateRunning && o.spec.SSHPort == sshPort {
			f.mu.Unlock()
			return fmt.Errorf("standby %s: port %d: %w", standby, sshPort, vm.ErrPortInUse)
		}
	}
	f.record("warm %s", standby)
	port := sb.spec.SSHPort
	sb.spec.SSHPort, sb.noFwd, sb.state = sshPort, false, vm.StateRunning
	f.mu.Unlock()
	f.sync()
	err := visit(ctx)
	f.mu.Lock()
	sb.spec.SSHPort, sb.noFwd, sb.state = port, true, vm.StatePaused
	f.mu.Unlock()
	f.sync()
	return err
}

// PowerOff stops a VM at once; an absent VM is not an error.
func (f *Fake) PowerOff(ctx context.Context, name string) error { return f.off(name, "poweroff") }

// SetClock sets a running fake guest's clock, as a guest agent would.
func (f *Fake) SetClock(ctx context.Context, name string, t time.Time) error {
	return f.set(name, func(v *fakeVM) error {
		if v.state != vm.StateRunning {
			return fmt.Errorf("vm %s is %s: the guest agent does not answer", name, v.state)
		}
		v.guest.offset = time.Until(t)
		return nil
	})
}

// EnsureNetwork records a network, or joins one that carries labels.
func (f *Fake) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if have, ok := f.networks[name]; ok {
		if !vm.HasLabels(have, labels) {
			return fmt.Errorf("network %s: %w", name, vm.ErrExists)
		}
		return nil
	}
	f.networks[name] = maps.Clone(labels)
	return nil
}

// VMLabels returns the labels of the VM's spec.
func (f *Fake) VMLabels(ctx context.Context, name string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.get(name)
	if err != nil {
		return nil, err
	}
	return maps.Clone(v.spec.Labels), nil
}

// SetLabels replaces the labels of a VM, as libvirt's metadata does.
func (f *Fake) SetLabels(ctx context.Context, name string, labels map[string]string) error {
	return f.set(name, func(v *fakeVM) error {
		v.spec.Labels = maps.Clone(labels)
		return nil
	})
}

// NetworkLabels returns the labels a network was made with.
func (f *Fake) NetworkLabels(ctx context.Context, name string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.networks[name]
	if !ok {
		return nil, fmt.Errorf("network %s: %w", name, vm.ErrNotFound)
	}
	return maps.Clone(l), nil
}

// FindVMs lists the VMs whose labels hold match.
func (f *Fake) FindVMs(ctx context.Context, match map[string]string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n, v := range f.vms {
		if vm.HasLabels(v.spec.Labels, match) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// FindNetworks lists the networks whose labels hold match.
func (f *Fake) FindNetworks(ctx context.Context, match map[string]string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n, l := range f.networks {
		if vm.HasLabels(l, match) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// RemoveNetwork forgets a network.
func (f *Fake) RemoveNetwork(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.networks, name)
	return nil
}

// FakeVM is what a test sees of one of the fake's VMs.
type FakeVM struct {
	Spec  vm.Spec
	State vm.State
	// HostKey is the guest's SSH host key.
	HostKey ssh.PublicKey
}

// VM describes VM name; false when it does not exist.
func (f *Fake) VM(name string) (FakeVM, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.vms[name]
	if !ok {
		return FakeVM{}, false
	}
	spec := v.spec
	spec.Labels = maps.Clone(spec.Labels)
	return FakeVM{Spec: spec, State: v.state, HostKey: v.guest.hostKey.PublicKey()}, true
}

// VMs lists the names of the fake's VMs, sorted.
func (f *Fake) VMs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.vms))
}

// Networks lists the fake's networks, sorted.
func (f *Fake) Networks() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.networks))
}

// SetMemory sets the fake host's memory in bytes (8 GiB by default).
func (f *Fake) SetMemory(b uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.memory = b
}

// AvailableMemory is the fake host's memory less that of its VMs that
// are not stopped, as a real host's would go down.
func (f *Fake) AvailableMemory(context.Context) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	used := uint64(0)
	for _, v := range f.vms {
		if v.state != vm.StateStopped {
			used += uint64(v.spec.Memory) << 20
		}
	}
	return f.memory - min(used, f.memory), nil
}
