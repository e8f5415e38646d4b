package instance

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivers"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// Settings are what a command chose for the instances it acts on (from
// flags and the environment). ManagerFor turns them into the Manager of one
// instance, which keeps the driver and host the instance was made with.
type Settings struct {
	Home   Home
	Images *images.Store
	// Driver is the driver asked for; empty keeps an instance's own and
	// gives a new one DefaultDriver.
	Driver string
	// Connect is the libvirt URI, asked for or the default one;
	// ConnectSet tells that it was asked for.
	Connect    string
	ConnectSet bool
	// Socket, when set, is libvirtd's socket path (a libvirtd started by
	// hand, or a test's).
	Socket    string
	NoStandby bool
	NoWarm    bool // standbys are not warmed (Manager.NoWarm)
	Standbys  StandbyStarter
	Progress  io.Writer // step lines and warnings
	Verbose   io.Writer // everything guests and tools print; nil hides it
	// Open turns a driver configuration into what the Manager opens: nil
	// opens the configuration itself; a test puts a fake behind it.
	Open func(drivers.Config) Opener
}

// Drivers is the configuration of driver name on libvirt URI uri.
func (s Settings) Drivers(name, uri string) drivers.Config {
	return drivers.Config{Name: name, URI: uri, Socket: s.Socket, Dir: s.Home.Dir, Images: s.Images,
		Project: s.Home.VagrantProject, Progress: s.Progress, Verbose: s.Verbose}
}

// ManagerFor is the Manager for commands on instance id: on the driver and
// host the instance was made with (a new one: those asked for), unless
// Driver says otherwise. A Connect asked for that names another host than
// the instance's makes every driver call fail, before any is made.
func (s Settings) ManagerFor(id string) *Manager {
	st, err := s.recorded(id)
	name := s.Driver
	switch {
	case name != "":
	case st != nil:
		name = st.DriverName()
	default:
		name = DefaultDriver
	}
	uri, uerr := s.connectURI(id, st)
	cfg := s.Drivers(name, uri)
	var open Opener = cfg
	if s.Open != nil {
		open = s.Open(cfg)
	}
	if err = errors.Join(err, uerr); err != nil {
		open = OpenFunc(func(context.Context) (vm.Driver, error) { return nil, err })
	}
	return &Manager{Home: s.Home, Images: s.Images, Progress: s.Progress, Verbose: s.Verbose,
		Driver: open, DriverName: name, Connect: uri, Accel: cfg, NoStandby: s.NoStandby, NoWarm: s.NoWarm, Standbys: s.Standbys}
}

// Host is the Manager for what belongs to the libvirt host rather than to
// an instance (its golden store): libvirt at Connect.
func (s Settings) Host() *Manager {
	cfg := s.Drivers(DefaultDriver, s.Connect)
	var open Opener = cfg
	if s.Open != nil {
		open = s.Open(cfg)
	}
	return &Manager{Home: s.Home, Images: s.Images, Progress: s.Progress, Verbose: s.Verbose,
		Driver: open, DriverName: DefaultDriver, Connect: s.Connect, Accel: cfg}
}

// Provisioner applies the lab's provision steps to instance id's VMs;
// what guests print goes to provision-<vm>.log in its folder (its first
// 32 MiB and its last 1 MiB).
func (s Settings) Provisioner(id string) (Provisioner, error) {
	dir, err := s.Home.Instance(id)
	if err != nil {
		return nil, err
	}
	return provision.NewLabProvisioner(provision.LabProvisionerOptions{CacheDir: s.Home.Cache(),
		Progress: s.Progress, Verbose: s.Verbose, LogDir: dir}), nil
}

// recorded is the state of instance id; nil for a new one, or one whose
// state does not read (the Manager reads it again under the instance's
// lock and says what is wrong). An invalid id is an error.
func (s Settings) recorded(id string) (*State, error) {
	dir, err := s.Home.Instance(id)
	if err != nil {
		return nil, err
	}
	st, err := LoadState(dir)
	if err != nil {
		return nil, nil // a new instance goes where the settings say
	}
	return st, nil
}

// connectURI is the libvirt URI for commands on instance id, recorded as
// st: the host an existing instance runs on, else Connect. A Connect asked
// for that names another host than the instance's is refused: acting there
// could remove another instance's disks and lose this one's records.
func (s Settings) connectURI(id string, st *State) (string, error) {
	if st == nil {
		return s.Connect, nil
	}
	switch {
	case st.Connect != "" && s.ConnectSet && s.Connect != st.Connect:
		return "", fmt.Errorf("instance %s runs on %s, not %s: drop --connect (and VLAB_CONNECT) for it", id, st.Connect, s.Connect)
	case st.Connect != "":
		return st.Connect, nil
	case libvirt.IsRemote(s.Connect):
		return "", fmt.Errorf("instance %s runs on this machine, not %s: drop --connect (and VLAB_CONNECT) for it", id, s.Connect)
	}
	return s.Connect, nil
}
