package drivertest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// Fake is an in-memory vm.Driver whose guests understand the suite's
// commands. It also stands in for the libvirt side of the Vagrant driver.
// NewFakeSSH makes its guests SSH servers, for code that logs in to them.
type Fake struct {
	mu       sync.Mutex
	vms      map[string]*fakeVM
	networks map[string]map[string]string // name -> labels
	calls    []string                     // "create web", "restore web golden", ...
	cmds     []Command                    // what guests were asked to run
	ssh      *sshGuests                   // nil: guests are reached through Exec only
	goldens  map[string]*fakeGolden       // the host's store, by key
	memory   uint64                       // the host's memory in bytes, before its VMs'
}

type fakeVM struct {
	spec  vm.Spec
	state vm.State
	guest fakeGuest
	saves map[string]fakeGuest
	noFwd bool // a standby, or a VM a standby took over from: its SSH port is not its own
}

// serves tells whether the VM answers on its spec's SSH port.
func (v *fakeVM) serves() bool {
	return v.state == vm.StateRunning && !v.noFwd && !v.guest.broken
}

// fakeGuest is what a guest remembers: marker files, whether its SSH
// server is there, and its SSH host key (saved and restored with it).
type fakeGuest struct {
	files   map[string]bool
	broken  bool
	offset  time.Duration // guest clock minus host clock
	hostKey ssh.Signer
}

func (g fakeGuest) clone() fakeGuest {
	g.files = maps.Clone(g.files)
	return g
}

var (
	_ vm.Driver  = (*Fake)(nil)
	_ vm.Clock   = (*Fake)(nil)
	_ Guest      = (*Fake)(nil)
	_ vm.Standby = (*Fake)(nil)
	_ vm.Warmer  = (*Fake)(nil)
)

// NewFake returns an empty fake hypervisor.
func NewFake() *Fake {
	return &Fake{vms: map[string]*fakeVM{}, networks: map[string]map[string]string{}, goldens: map[string]*fakeGolden{}, memory: 8 << 30}
}

// record notes a driver call; f.mu is held.
func (f *Fake) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// Calls lists the calls that changed something, in order: "create web",
// "start web", "stop web", "destroy web", "snapshot web golden", "restore
// web golden", "prepare web_b from web", "takeover web by web_b",
// "poweroff web_b".
func (f *Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// CallsLike returns the calls that start with prefix.
func (f *Fake) CallsLike(prefix string) []string {
	var out []string
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
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
	key, err := newHostKey()
	if err != nil {
		return err
	}
	defer f.sync()
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
	f.record("create %s", spec.Name)
	spec.Labels = maps.Clone(spec.Labels)
	f.vms[spec.Name] = &fakeVM{spec: spec, state: vm.StateRunning,
		guest: fakeGuest{files: map[string]bool{}, hostKey: key}, saves: map[string]fakeGuest{}}
	return nil
}

// Start boots a stopped VM.
func (f *Fake) Start(ctx context.Context, name string) error {
	return f.set(name, func(v *fakeVM) error {
		f.record("start %s", name)
		v.state = vm.StateRunning
		return nil
	})
}

// Stop powers a VM off; an absent VM is not an error.
func (f *Fake) Stop(ctx context.Context, name string) error {
	return f.off(name, "stop")
}

// off stops a VM, recording the call as verb when the VM existed.
func (f *Fake) off(name, verb string) error {
	defer f.sync()
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.vms[name]; ok {
		if verb == "stop" || v.state != vm.StateStopped {
			f.record("%s %s", verb, name)
		}
		v.state = vm.StateStopped
	}
	return nil
}

// Destroy removes a VM and its saved states; an absent VM is not an error.
func (f *Fake) Destroy(ctx context.Context, name string) error {
	defer f.sync()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("destroy %s", name)
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

// ConsoleTail returns a fixed line for a VM that exists, and why its SSH
// server could not listen when it could not.
func (f *Fake) ConsoleTail(ctx context.Context, name string, n int) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return "", err
	}
	tail := "fake console of " + name
	if f.ssh != nil && f.ssh.failed[name] != nil {
		tail += "\nsshd: " + f.ssh.failed[name].Error()
	}
	return tail, nil
}

// Snapshot saves a VM's guest as tag.
func (f *Fake) Snapshot(ctx context.Context, name, tag string) error {
	return f.set(name, func(v *fakeVM) error {
		f.record("snapshot %s %s", name, tag)
		v.saves[tag] = v.guest.clone()
		v.state = vm.StateRunning
		return nil
	})
}

// Restore returns a VM to tag.
func (f *Fake) Restore(ctx context.Context, name, tag string) error {
	err := f.set(name, func(v *fakeVM) error {
		g, ok := v.saves[tag]
		if !ok {
			return fmt.Errorf("vm %s has no saved state %q: %w", name, tag, vm.ErrNotFound)
		}
		f.record("restore %s %s", name, tag)
		v.guest, v.state, v.noFwd = g.clone(), vm.StateRunning, false
		return nil
	})
	if err != nil {
		return err
	}
	return f.bound(name)
}

// RestoreOnPort is Restore with the VM's SSH port forward moved to port.
func (f *Fake) RestoreOnPort(ctx context.Context, name, tag string, port int) error {
	if err := f.set(name, func(v *fakeVM) error { v.spec.SSHPort = port; return nil }); err != nil {
		return err
	}
	return f.Restore(ctx, name, tag)
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

// set runs fn on VM name with f.mu held, then brings the guests' SSH
// servers in line.
func (f *Fake) set(name string, fn func(v *fakeVM) error) error {
	defer f.sync()
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.get(name)
	if err != nil {
		return err
	}
	return fn(v)
}

// Close does nothing: a fake's VMs outlive a connection, as libvirt's do.
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

// DomainUUID makes a UUID up from the name.
func (f *Fake) DomainUUID(ctx context.Context, name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return "", err
	}
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", len(name)), nil
}
