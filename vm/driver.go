// Package vm defines how vlab drives virtual machines: a Driver composed of
// small role interfaces, the Spec of a VM, and the errors drivers return.
// Implementations live in sub-packages (vm/libvirt, vm/vagrant).
package vm

import (
	"context"
	"errors"
	"net"
	"time"
)

// Errors drivers wrap so that callers can act on them without knowing the
// backend.
var (
	// ErrNotFound is wrapped when a VM, snapshot or image does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists is wrapped when a VM to be created already exists.
	ErrExists = errors.New("already exists")
	// ErrUnavailable is wrapped when the hypervisor cannot be reached.
	ErrUnavailable = errors.New("hypervisor unreachable")
	// ErrPortInUse is wrapped when the SSH port forward could not be bound.
	ErrPortInUse = errors.New("port in use")
)

// State is the run state of a VM.
type State string

// The states a VM can be in.
const (
	StateAbsent  State = "absent"
	StateRunning State = "running"
	StateStopped State = "stopped"
	StatePaused  State = "paused"
	StateOther   State = "other"
)

// Lifecycle creates, starts, stops and removes VMs.
type Lifecycle interface {
	// Create makes the VM's disk and definition from spec and starts it.
	// It wraps ErrExists when a VM of that name exists already.
	Create(ctx context.Context, spec Spec) error
	// Start boots a stopped VM; starting a running VM is not an error.
	Start(ctx context.Context, name string) error
	// Stop shuts the VM down, forcing it off when it does not stop within
	// the context's deadline or a driver default; stopping a stopped or
	// absent VM is not an error.
	Stop(ctx context.Context, name string) error
	// Destroy removes the VM, its disks and its saved states. Destroying an
	// absent VM is not an error.
	Destroy(ctx context.Context, name string) error
	// State reports the VM's run state; an absent VM is StateAbsent, not an error.
	State(ctx context.Context, name string) (State, error)
}

// Console gives access to what a VM printed on its serial console.
type Console interface {
	// ConsoleTail returns the last n lines the VM printed on its console.
	ConsoleTail(ctx context.Context, name string, n int) (string, error)
}

// Snapshotter saves and restores the whole state of a VM: disk and memory.
type Snapshotter interface {
	// Snapshot records the running VM as tag, replacing an older tag. The VM
	// is running again when Snapshot returns.
	Snapshot(ctx context.Context, name, tag string) error
	// Restore returns the VM to tag; it is running when Restore returns.
	// It wraps ErrNotFound when tag does not exist.
	Restore(ctx context.Context, name, tag string) error
}

// Driver is everything vlab needs from a hypervisor backend.
type Driver interface {
	Lifecycle
	Console
	Snapshotter
	Pauser
	Networker
	Inventory
	// Close releases the driver's connection.
	Close() error
}

// Pauser freezes and thaws VMs, so that the VMs of a lab can be saved at one
// consistent moment.
type Pauser interface {
	// Pause freezes a running VM; pausing a paused VM is not an error.
	Pause(ctx context.Context, name string) error
	// Resume thaws a paused VM; resuming a running VM is not an error.
	Resume(ctx context.Context, name string) error
}

// Golden is an optional role of drivers that keep saved states for the
// whole host, under a key naming everything that shaped them, so that a
// later VM of the same lab starts from one instead of being provisioned
// again (a classroom of instances of one lab provisions once).
type Golden interface {
	// PublishGolden copies the saved state tag of VM name into the host's
	// store under key, with what it needs (its frozen disk); a key the
	// store holds already is left as it is.
	PublishGolden(ctx context.Context, name, tag, key string) error
	// AdoptGolden makes the stored state of key the saved state tag of a
	// new VM made from spec (its name, labels, networks and SSH port);
	// Restore(spec.Name, tag) then brings it up. It wraps ErrNotFound when
	// the store has no such key.
	AdoptGolden(ctx context.Context, key string, spec Spec, tag string) error
	// Goldens lists the store's entries.
	Goldens(ctx context.Context) ([]GoldenInfo, error)
	// RemoveGolden removes a stored state; VMs made from it keep working
	// until they are destroyed. A missing key is not an error.
	RemoveGolden(ctx context.Context, key string) error
}

// StoreKeeper is implemented by Golden drivers whose host may keep no
// store (a remote host whose pool files vlab cannot reach): NoStore says
// why it keeps none, "" when it keeps one. Such a host's Goldens is empty
// and every instance there provisions.
type StoreKeeper interface {
	NoStore() string
}

// GoldenInfo describes one stored golden state.
type GoldenInfo struct {
	Key    string            `json:"key"`
	Labels map[string]string `json:"labels"` // of the VM it was taken from
	Bytes  int64             `json:"bytes"`
	Used   time.Time         `json:"used"` // last published or adopted
}

// Fingerprinter is an optional role of drivers whose saved states restore
// only under the hypervisor they were taken with.
type Fingerprinter interface {
	// Fingerprint names the hypervisor build: equal fingerprints restore
	// each other's saved states.
	Fingerprint(ctx context.Context) (string, error)
}

// GuestRunner is an optional role of drivers that run programs in a
// guest without logging in (through a guest agent).
type GuestRunner interface {
	// GuestRun runs argv as root in the running VM with stdin as its
	// input, and fails unless it exits 0.
	GuestRun(ctx context.Context, name string, argv []string, stdin []byte) error
}

// PortRestorer is an optional role of drivers whose saved states carry
// the SSH port forward: when the port a state was saved with has been
// taken since (Restore wraps ErrPortInUse), the state restores onto
// another port.
type PortRestorer interface {
	// RestoreOnPort is Restore with the VM's SSH port forward on port,
	// which the VM keeps from then on.
	RestoreOnPort(ctx context.Context, name, tag string, port int) error
}

// Clock sets a guest's wall clock from the host without logging in. After
// a restore the guest's clock shows the moment the state was saved. It is
// an optional role: callers fall back to setting the clock over SSH.
type Clock interface {
	// SetClock sets the running VM's clock to t.
	SetClock(ctx context.Context, name string, t time.Time) error
}

// Standby is an optional role of drivers whose saved states can be
// restored ahead of time: a VM's standby is a second domain holding the
// saved state, restored and paused, that takes the VM's place in the time a
// resume takes. It costs the standby's memory while it waits.
type Standby interface {
	// PrepareStandby restores the saved state tag of VM owner into the
	// domain standby, paused and without SSH port forward, first forcing
	// off whatever runs as standby. standby may be owner itself.
	PrepareStandby(ctx context.Context, owner, tag, standby string) error
	// TakeOver moves VM name's SSH port forward (sshPort) to the paused
	// standby and resumes it; name is left paused for PrepareStandby or
	// PowerOff to reuse. It wraps ErrNotFound when standby is not a paused
	// domain and ErrPortInUse when the port could not be moved.
	TakeOver(ctx context.Context, name, standby string, sshPort int) error
	// PowerOff forces the VM off at once, keeping its disks and saved
	// states; an absent VM is not an error.
	PowerOff(ctx context.Context, name string) error
}

// Warmer is an optional role of Standby drivers. Under emulation a guest
// resumed from a saved state runs everything for the first time again (the
// translator's cache is empty), so a reset's first agent call and login
// cost more than the rest of it. A warm standby has already run them.
type Warmer interface {
	// Warm resumes the paused standby privately, calls visit, and pauses
	// it again. While it runs, its lab networks cannot reach the VM it will
	// replace (links down, nothing it sends on them arrives), and its SSH is
	// forwarded from 127.0.0.1:sshPort only, a port of its own. It stays
	// so until TakeOver, which joins it to the lab's networks. Warm wraps
	// ErrNotFound when standby is not paused and ErrPortInUse when sshPort
	// is taken; whatever visit did stays in the standby.
	Warm(ctx context.Context, standby string, sshPort int, visit func(ctx context.Context) error) error
}

// HostMemory is an optional role of drivers that tell how much memory
// the machine their VMs run on has left, so that a class spread over
// several hosts places each instance where it fits.
type HostMemory interface {
	// AvailableMemory is what the host could give new VMs now, in bytes:
	// its free memory with the buffers and page cache it can reclaim.
	AvailableMemory(ctx context.Context) (uint64, error)
}

// HostDialer is implemented by drivers whose VMs may run on another
// machine. Guests' SSH port forwards listen on the VM host's loopback, so
// SSH to a guest goes through the host.
type HostDialer interface {
	// DialHost connects to addr as the VM host sees it.
	DialHost(ctx context.Context, network, addr string) (net.Conn, error)
	// Remote tells whether the VM host is another machine.
	Remote() bool
}

// Networker manages lab-internal networks: layer-2 segments joining a lab's
// VMs that the host has no address on.
type Networker interface {
	// EnsureNetwork creates the network with labels recorded in it if it
	// does not exist, and starts it. A network of that name that does not
	// carry every one of labels is somebody else's: it is left alone and
	// the error wraps ErrExists, so that two instances never share a
	// layer-2 segment.
	EnsureNetwork(ctx context.Context, name string, labels map[string]string) error
	// RemoveNetwork stops and removes it; a missing network is not an error.
	RemoveNetwork(ctx context.Context, name string) error
}

// Inventory finds again what a driver made, by the labels recorded in it
// (Spec.Labels for VMs, EnsureNetwork's labels for networks). vlab proves
// with it that a VM or network is an instance's own before removing it.
type Inventory interface {
	// VMLabels returns the labels VM name was created with (empty when it
	// carries none); it wraps ErrNotFound when the VM does not exist.
	VMLabels(ctx context.Context, name string) (map[string]string, error)
	// NetworkLabels is VMLabels for networks.
	NetworkLabels(ctx context.Context, name string) (map[string]string, error)
	// FindVMs lists, sorted, the VMs whose labels hold every pair of match.
	FindVMs(ctx context.Context, match map[string]string) ([]string, error)
	// FindNetworks lists, sorted, the networks whose labels hold every
	// pair of match.
	FindNetworks(ctx context.Context, match map[string]string) ([]string, error)
}

// HasLabels tells whether labels hold every pair of match.
func HasLabels(labels, match map[string]string) bool {
	for k, v := range match {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
