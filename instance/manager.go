package instance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
)

// Manager runs instances on one driver.
type Manager struct {
	Home   Home
	Images *images.Store
	// Driver connects to the hypervisor when first needed.
	Driver Opener
	// DriverName is recorded in new instances ("libvirt", "vagrant").
	DriverName string
	// Connect is the libvirt URI Driver dials; it is recorded in new
	// instances whose VMs run on a remote host.
	Connect string
	// Accel decides KVM or TCG for new VMs.
	Accel AccelDecider
	// BootTimeout is how long a booting guest may print nothing on its
	// console before the wait for its SSH ends (whileBooting).
	BootTimeout time.Duration
	// NoStandby turns standbys off: resets restore the golden state into a
	// new QEMU (seconds) instead of resuming one restored ahead of time,
	// and each VM takes its memory once, not twice.
	NoStandby bool
	// NoWarm leaves standbys cold: they are not run once before a reset
	// takes one over (warmStandby).
	NoWarm bool
	// Share has PrepareStandby keep each warm-up's login, for
	// ServeShared to serve to the instance's other vlab processes: the
	// first command after a reset then skips the guest's key exchange.
	Share bool
	// Standbys has PrepareStandby run in the background after up and
	// reset; nil prepares no standbys.
	Standbys StandbyStarter
	Progress io.Writer // step lines
	Verbose  io.Writer // everything guests and tools print; nil hides it

	mu     sync.Mutex
	shared []sharedLogins // kept by PrepareStandby for ServeShared

	once sync.Once
	drv  vm.Driver
	derr error
}

// driver connects once and returns the same driver after.
func (m *Manager) driver(ctx context.Context) (vm.Driver, error) {
	m.once.Do(func() {
		if m.Driver == nil {
			m.derr = errors.New("instance: the manager has no driver")
			return
		}
		d, err := m.Driver.Open(ctx)
		if err != nil {
			m.derr = err // d may be a typed nil: never keep it
			return
		}
		m.drv = d
	})
	return m.drv, m.derr
}

// AvailableMemory is what the manager's VM host could give new VMs now,
// in bytes, as its driver reports it (vm.HostMemory).
func (m *Manager) AvailableMemory(ctx context.Context) (uint64, error) {
	drv, err := m.driver(ctx)
	if err != nil {
		return 0, err
	}
	h, ok := drv.(vm.HostMemory)
	if !ok {
		return 0, fmt.Errorf("the %s driver does not tell its host's memory", m.driverName())
	}
	return h.AvailableMemory(ctx)
}

// Close releases the driver connection.
func (m *Manager) Close() error {
	if m.drv != nil {
		return m.drv.Close()
	}
	return nil
}

// progress writes one progress line. Its arguments may carry a lab's or a
// guest's text (an error with a command's last output line), so the line
// is made safe for a terminal.
func (m *Manager) progress(format string, args ...any) {
	if m.Progress != nil {
		fmt.Fprintln(m.Progress, termtext.Text(fmt.Sprintf(format, args...)))
	}
}

// Instance is one loaded instance: its folder and state.
type Instance struct {
	Dir   string
	State *State
	// mu guards keys and State while goroutines wait for VMs in parallel.
	mu   sync.Mutex
	keys map[string][]byte // by file name
	m    *Manager          // reaches a remote VM host; nil for a bare Instance
}

func (m *Manager) newInstance(dir string, st *State) *Instance {
	return &Instance{Dir: dir, State: st, m: m}
}

// dialer is how SSH reaches the instance's guests: nil (a plain dial) when
// they run on this machine, through the VM host's connection otherwise.
func (i *Instance) dialer(ctx context.Context) (func(context.Context, string, string) (net.Conn, error), error) {
	if i.State.Connect == "" {
		return nil, nil
	}
	if i.m == nil || i.m.Connect != i.State.Connect {
		return nil, fmt.Errorf("instance %s runs on %s; open it through a manager connected there", i.State.ID, i.State.Connect)
	}
	drv, err := i.m.driver(ctx)
	if err != nil {
		return nil, err
	}
	h, ok := drv.(vm.HostDialer)
	if !ok {
		return nil, fmt.Errorf("instance %s runs on %s, which its driver cannot reach", i.State.ID, i.State.Connect)
	}
	return h.DialHost, nil
}

// sshConfig says how to reach one VM, with the host key recorded for it.
func (i *Instance) sshConfig(ctx context.Context, vmName string) (provision.SSHConfig, error) {
	v := i.State.VMs[vmName]
	key, err := i.sshKey(vmName)
	if err != nil {
		return provision.SSHConfig{}, err
	}
	dial, err := i.dialer(ctx)
	if err != nil {
		return provision.SSHConfig{}, err
	}
	return provision.SSHConfig{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(v.SSHPort)), Key: key,
		HostKeys: &provision.HostKeys{Known: v.HostKey}, Dial: dial}, nil
}

// Open loads an existing instance.
func (m *Manager) Open(id string) (*Instance, error) {
	dir, err := m.Home.Instance(id)
	if err != nil {
		return nil, err
	}
	st, err := LoadState(dir)
	if err != nil {
		return nil, err
	}
	return m.newInstance(dir, st), nil
}

// Lab loads the lab definition an instance was made from.
func (i *Instance) Lab() (*labfile.Lab, error) {
	return labfile.Load(filepath.Join(i.State.LabDir, labfile.FileName))
}

// keyFileOf is the file of the key that opens vmName: the observer's own,
// or the trainee's.
func (i *Instance) keyFileOf(vmName string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if v := i.State.VMs[vmName]; v != nil && v.Observer {
		return observerKeyFile
	}
	return keyFile
}

// sshKey is the private key that opens vmName.
func (i *Instance) sshKey(vmName string) ([]byte, error) { return i.readKey(i.keyFileOf(vmName)) }

// readKey reads (once) the instance's private key in file name.
func (i *Instance) readKey(name string) ([]byte, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if k, ok := i.keys[name]; ok {
		return k, nil
	}
	k, err := os.ReadFile(filepath.Join(i.Dir, name))
	if err != nil {
		return nil, fmt.Errorf("instance %s SSH key: %w; `vlab destroy %s` and `vlab up` again", i.State.ID, err, i.State.ID)
	}
	if i.keys == nil {
		i.keys = map[string][]byte{}
	}
	i.keys[name] = k
	return k, nil
}

// KeyFile is the path of the instance's private SSH key, for users who want
// to use their own ssh client.
func (i *Instance) KeyFile() string { return filepath.Join(i.Dir, keyFile) }

// Dial opens an SSH connection to one VM of the instance, checking the host
// key recorded at first contact; or a connection through the login shared
// by the background preparer of the standby that now runs the VM
// (Manager.Share), which skips the guest's key exchange.
func (i *Instance) Dial(ctx context.Context, vmName string) (*provision.SSH, error) {
	_, ok := i.State.VMs[vmName]
	if !ok {
		return nil, fmt.Errorf("lab %s has no VM %q; it has %s", i.State.ID, vmName, strings.Join(i.State.VMNames(), ", "))
	}
	if s := i.dialShared(ctx, vmName); s != nil {
		// The shared login's guest allows it ten sessions at once.
		return s.WithFallback(func(ctx context.Context) (*provision.SSH, error) { return i.dialGuest(ctx, vmName) }), nil
	}
	return i.dialGuest(ctx, vmName)
}

// dialGuest logs in to VM vmName's guest through its SSH port.
func (i *Instance) dialGuest(ctx context.Context, vmName string) (*provision.SSH, error) {
	v := i.State.VMs[vmName]
	cfg, err := i.sshConfig(ctx, vmName)
	if err != nil {
		return nil, err
	}
	for attempt := 1; ; attempt++ {
		s, err := provision.Dial(ctx, cfg)
		if err == nil {
			return s, nil
		}
		// A guest busy under load (TCG, many VMs) may miss one handshake
		// deadline; a refused connection or a bad key is final at once.
		if attempt < 3 && ctx.Err() == nil && isTimeout(err) {
			continue
		}
		return nil, fmt.Errorf("ssh to %s/%s (127.0.0.1:%d): %w; is it running? try `vlab status %s`", i.State.ID, vmName, v.SSHPort, err, i.State.ID)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return (errors.As(err, &ne) && ne.Timeout()) || strings.Contains(err.Error(), "timeout")
}

// waitSSH waits for a VM's SSH and records its host key at first contact.
func (m *Manager) waitSSH(ctx context.Context, drv vm.Driver, inst *Instance, vmName string) (*provision.SSH, error) {
	v := inst.State.VMs[vmName]
	cfg, err := inst.sshConfig(ctx, vmName)
	if err != nil {
		return nil, err
	}
	cfg.HostKeys.Record = func(k string) error {
		inst.mu.Lock()
		defer inst.mu.Unlock()
		v.HostKey = k
		return SaveState(inst.Dir, inst.State)
	}
	timeout := m.BootTimeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	wctx, cancel := whileBooting(ctx, drv, v.Domain, timeout)
	defer cancel()
	start := time.Now()
	s, err := provision.WaitSSH(wctx, cfg)
	if err == nil {
		return s, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	msg := fmt.Sprintf("vm %s did not answer SSH on 127.0.0.1:%d after %s (its console silent for %s, or %s in all): %v",
		vmName, v.SSHPort, time.Since(start).Round(time.Second), timeout, bootCap*timeout, err)
	if errors.Is(err, provision.ErrHostKeyChanged) {
		msg = fmt.Sprintf("vm %s: %v", vmName, err)
	}
	tail, terr := drv.ConsoleTail(context.Background(), v.Domain, 15)
	if terr == nil && tail != "" {
		msg += "\nlast lines of its console:\n" + indent(termtext.Text(tail))
	}
	return nil, &BootError{VM: vmName, Msg: msg}
}

// BootError is a guest that did not come up; Msg holds its console tail.
type BootError struct {
	VM  string
	Msg string
}

func (e *BootError) Error() string { return e.Msg }

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "  | " + l
	}
	return strings.Join(lines, "\n")
}

// freePort finds a free TCP port on 127.0.0.1 in this network namespace.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
