package drivertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// Fake is an in-memory vm.Driver whose guests understand the suite's
// commands. It also stands in for the libvirt side of the Vagrant driver.
type Fake struct {
	mu       sync.Mutex
	vms      map[string]*fakeVM
	networks map[string]map[string]string // name -> labels
}

type fakeVM struct {
	spec  vm.Spec
	state vm.State
	guest fakeGuest
	saves map[string]fakeGuest
	noFwd bool // a standby, or a VM a standby took over from: its SSH port is not its own
}

// fakeGuest is what a guest remembers: marker files and whether its SSH
// server is there.
type fakeGuest struct {
	files  map[string]bool
	broken bool
	offset time.Duration // guest clock minus host clock
}

func (g fakeGuest) clone() fakeGuest {
	return fakeGuest{files: maps.Clone(g.files), broken: g.broken, offset: g.offset}
}

var (
	_ vm.Driver  = (*Fake)(nil)
	_ vm.Clock   = (*Fake)(nil)
	_ Guest      = (*Fake)(nil)
	_ vm.Standby = (*Fake)(nil)
)

// PrepareStandby copies owner's saved guest into a paused standby.
func (f *Fake) PrepareStandby(ctx context.Context, owner, tag, standby string) error {
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
	spec := o.spec
	spec.Name = standby
	f.vms[standby] = &fakeVM{spec: spec, state: vm.StatePaused, guest: g.clone(),
		saves: map[string]fakeGuest{tag: g.clone()}, noFwd: true}
	return nil
}

// TakeOver gives the paused standby name's SSH port and runs it.
func (f *Fake) TakeOver(ctx context.Context, name, standby string, port int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	sb, ok := f.vms[standby]
	if !ok || sb.state != vm.StatePaused {
		return fmt.Errorf("standby %s: %w", standby, vm.ErrNotFound)
	}
	if old, ok := f.vms[name]; ok {
		if old.state == vm.StateRunning {
			old.state = vm.StatePaused
		}
		old.noFwd = true
	}
	sb.spec.SSHPort, sb.noFwd, sb.state = port, false, vm.StateRunning
	return nil
}

// PowerOff stops a VM at once; an absent VM is not an error.
func (f *Fake) PowerOff(ctx context.Context, name string) error { return f.Stop(ctx, name) }

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

// NewFake returns an empty fake hypervisor.
func NewFake() *Fake {
	return &Fake{vms: map[string]*fakeVM{}, networks: map[string]map[string]string{}}
}

func (f *Fake) get(name string) (*fakeVM, error) {
	v, ok := f.vms[name]
	if !ok {
		return nil, fmt.Errorf("vm %s: %w", name, vm.ErrNotFound)
	}
	return v, nil
}

// Create defines and starts a VM.
func (f *Fake) Create(ctx context.Context, spec vm.Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.vms[spec.Name]; ok {
		return fmt.Errorf("vm %s: %w", spec.Name, vm.ErrExists)
	}
	for _, n := range spec.Networks {
		if _, ok := f.networks[n]; !ok {
			return fmt.Errorf("network %s: %w", n, vm.ErrNotFound)
		}
	}
	f.vms[spec.Name] = &fakeVM{spec: spec, state: vm.StateRunning,
		guest: fakeGuest{files: map[string]bool{}}, saves: map[string]fakeGuest{}}
	return nil
}

// Start boots a stopped VM.
func (f *Fake) Start(ctx context.Context, name string) error {
	return f.set(name, func(v *fakeVM) error {
		v.state = vm.StateRunning
		return nil
	})
}

// Stop powers a VM off; an absent VM is not an error.
func (f *Fake) Stop(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.vms[name]; ok {
		v.state = vm.StateStopped
	}
	return nil
}

// Destroy removes a VM and its saved states; an absent VM is not an error.
func (f *Fake) Destroy(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.vms, name)
	return nil
}

// State reports a VM's state.
func (f *Fake) State(ctx context.Context, name string) (vm.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.vms[name]; ok {
		return v.state, nil
	}
	return vm.StateAbsent, nil
}

// ConsoleTail returns a fixed line for a VM that exists.
func (f *Fake) ConsoleTail(ctx context.Context, name string, n int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return "", err
	}
	return "fake console of " + name, nil
}

// Snapshot saves a VM's guest as tag.
func (f *Fake) Snapshot(ctx context.Context, name, tag string) error {
	return f.set(name, func(v *fakeVM) error {
		v.saves[tag] = v.guest.clone()
		v.state = vm.StateRunning
		return nil
	})
}

// Restore returns a VM to tag.
func (f *Fake) Restore(ctx context.Context, name, tag string) error {
	return f.set(name, func(v *fakeVM) error {
		g, ok := v.saves[tag]
		if !ok {
			return fmt.Errorf("vm %s has no saved state %q: %w", name, tag, vm.ErrNotFound)
		}
		v.guest, v.state, v.noFwd = g.clone(), vm.StateRunning, false
		return nil
	})
}

// Pause freezes a VM.
func (f *Fake) Pause(ctx context.Context, name string) error {
	return f.set(name, func(v *fakeVM) error {
		v.state = vm.StatePaused
		return nil
	})
}

// Resume thaws a VM.
func (f *Fake) Resume(ctx context.Context, name string) error {
	return f.set(name, func(v *fakeVM) error {
		if v.state == vm.StatePaused {
			v.state = vm.StateRunning
		}
		return nil
	})
}

func (f *Fake) set(name string, fn func(v *fakeVM) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.get(name)
	if err != nil {
		return err
	}
	return fn(v)
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

// Close does nothing.
func (f *Fake) Close() error { return nil }

// EnsureImage pretends the image is in a pool.
func (f *Fake) EnsureImage(ctx context.Context, img vm.Image) (libvirt.ImageFiles, error) {
	out := libvirt.ImageFiles{Disk: "/pool/" + img.Name + ".qcow2"}
	if img.Kernel != "" {
		out.Kernel, out.Initrd = "/pool/"+img.Name+".vmlinuz", "/pool/"+img.Name+".initrd"
	}
	return out, nil
}

// Pool names the fake pool.
func (f *Fake) Pool() string { return "fake" }

// VolumePath is a path in the fake pool.
func (f *Fake) VolumePath(vol string) string { return "/pool/" + vol }

// Exec runs one of the suite's commands in a fake guest.
func (f *Fake) Exec(ctx context.Context, spec vm.Spec, cmd string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.get(spec.Name)
	if err != nil {
		return "", err
	}
	// SSH reaches whichever VM serves the port: a standby that took over.
	// Two VMs serving one port is a driver bug (QEMU would refuse it).
	serving := 0
	for _, o := range f.vms {
		if !o.noFwd && o.spec.SSHPort == spec.SSHPort && o.state == vm.StateRunning {
			v = o
			serving++
		}
	}
	if serving > 1 {
		return "", fmt.Errorf("fake: %d running VMs forward port %d", serving, spec.SSHPort)
	}
	if v.state != vm.StateRunning || v.guest.broken || v.noFwd {
		return "", fmt.Errorf("ssh to 127.0.0.1:%d: connection refused", v.spec.SSHPort)
	}
	switch {
	case cmd == cmdHello:
		return "hello\n", nil
	case cmd == cmdClock:
		return fmt.Sprintf("%d\n", time.Now().Add(v.guest.offset).Unix()), nil
	case cmd == cmdBreak:
		v.guest.broken = true
		return "", nil
	case strings.HasPrefix(cmd, "touch /root/vlab-mark-"):
		v.guest.files[strings.TrimPrefix(cmd, "touch ")] = true
		return "", nil
	case strings.HasPrefix(cmd, "test -e "):
		if v.guest.files[strings.Fields(cmd)[2]] {
			return "yes\n", nil
		}
		return "no\n", nil
	}
	return "", fmt.Errorf("fake guest: unknown command %q", cmd)
}

// DomainUUID makes a UUID up from the name.
func (f *Fake) DomainUUID(ctx context.Context, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return "", err
	}
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", len(name)), nil
}
