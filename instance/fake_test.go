package instance

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/internal/sshtest"
	"github.com/vlab-dev/vlab/vm"
)

// fakeDriver is an in-memory vm.Driver whose VMs are in-process SSH
// servers on their spec's SSH port, answering every command with exit 0.
type fakeDriver struct {
	t        testing.TB
	mu       sync.Mutex
	vms      map[string]*fakeVM
	networks map[string]map[string]string // name -> labels
	calls    []string                     // "create web", "restore web golden", ...
	cmds     []string                     // commands the guests ran
}

type fakeVM struct {
	spec    vm.Spec
	state   vm.State
	hostKey ssh.Signer
	srv     *sshtest.Server
	tags    map[string]bool
}

var _ vm.Driver = (*fakeDriver)(nil)

func newFakeDriver(t testing.TB) *fakeDriver {
	return &fakeDriver{t: t, vms: map[string]*fakeVM{}, networks: map[string]map[string]string{}}
}

func (f *fakeDriver) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// callsLike returns the calls starting with prefix.
func (f *fakeDriver) callsLike(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeDriver) handle(ctx context.Context, cmd string, stdin io.Reader, _, _ io.Writer) int {
	io.Copy(io.Discard, stdin)
	f.mu.Lock()
	f.cmds = append(f.cmds, cmd)
	f.mu.Unlock()
	return 0
}

// boot starts the VM's SSH server; f.mu is held.
func (f *fakeDriver) boot(v *fakeVM) {
	if v.srv == nil {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(v.spec.SSHPort))
		v.srv = sshtest.Start(f.t, sshtest.Options{Addr: addr, HostKey: v.hostKey, Handler: f.handle})
	}
	v.state = vm.StateRunning
}

func (f *fakeDriver) halt(v *fakeVM, st vm.State) {
	if v.srv != nil {
		v.srv.Close()
		v.srv = nil
	}
	v.state = st
}

func (f *fakeDriver) Create(ctx context.Context, spec vm.Spec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := spec.Validate(); err != nil {
		return err
	}
	if f.vms[spec.Name] != nil {
		return fmt.Errorf("vm %s: %w", spec.Name, vm.ErrExists)
	}
	for _, n := range spec.Networks {
		if _, ok := f.networks[n]; !ok {
			return fmt.Errorf("vm %s: network %s: %w", spec.Name, n, vm.ErrNotFound)
		}
	}
	f.record("create %s", spec.Name)
	v := &fakeVM{spec: spec, hostKey: sshtest.NewSigner(f.t), tags: map[string]bool{}}
	f.vms[spec.Name] = v
	f.boot(v)
	return nil
}

func (f *fakeDriver) vm(name string) (*fakeVM, error) {
	if v := f.vms[name]; v != nil {
		return v, nil
	}
	return nil, fmt.Errorf("vm %s: %w", name, vm.ErrNotFound)
}

func (f *fakeDriver) Start(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.vm(name)
	if err == nil {
		f.record("start %s", name)
		f.boot(v)
	}
	return err
}

func (f *fakeDriver) Stop(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.vms[name]; v != nil {
		f.record("stop %s", name)
		f.halt(v, vm.StateStopped)
	}
	return nil
}

func (f *fakeDriver) Destroy(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("destroy %s", name)
	if v := f.vms[name]; v != nil {
		f.halt(v, vm.StateAbsent)
		delete(f.vms, name)
	}
	return nil
}

func (f *fakeDriver) State(ctx context.Context, name string) (vm.State, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.vms[name]; v != nil {
		return v.state, nil
	}
	return vm.StateAbsent, nil
}

func (f *fakeDriver) ConsoleTail(ctx context.Context, name string, n int) (string, error) {
	return "fake console of " + name, nil
}

func (f *fakeDriver) Snapshot(ctx context.Context, name, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.vm(name)
	if err != nil {
		return err
	}
	f.record("snapshot %s %s", name, tag)
	v.tags[tag] = true
	f.boot(v)
	return nil
}

func (f *fakeDriver) Restore(ctx context.Context, name, tag string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.vm(name)
	if err != nil {
		return err
	}
	if !v.tags[tag] {
		return fmt.Errorf("vm %s has no saved state %q: %w", name, tag, vm.ErrNotFound)
	}
	f.record("restore %s %s", name, tag)
	f.boot(v)
	return nil
}

func (f *fakeDriver) Pause(ctx context.Context, name string) error {
	return f.setState(name, vm.StatePaused)
}

func (f *fakeDriver) Resume(ctx context.Context, name string) error {
	return f.setState(name, vm.StateRunning)
}

func (f *fakeDriver) setState(name string, st vm.State) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.vm(name)
	if err == nil {
		v.state = st
	}
	return err
}

func (f *fakeDriver) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
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

func (f *fakeDriver) VMLabels(ctx context.Context, name string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, err := f.vm(name)
	if err != nil {
		return nil, err
	}
	return maps.Clone(v.spec.Labels), nil
}

func (f *fakeDriver) NetworkLabels(ctx context.Context, name string) (map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.networks[name]
	if !ok {
		return nil, fmt.Errorf("network %s: %w", name, vm.ErrNotFound)
	}
	return maps.Clone(l), nil
}

func (f *fakeDriver) FindVMs(ctx context.Context, match map[string]string) ([]string, error) {
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

func (f *fakeDriver) FindNetworks(ctx context.Context, match map[string]string) ([]string, error) {
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

func (f *fakeDriver) RemoveNetwork(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.networks, name)
	return nil
}

func (f *fakeDriver) Close() error { return nil }
