package instance

import (
	"context"
	"path/filepath"

	"github.com/vlab-dev/vlab/vm"
)

// DefaultDriver is the driver an instance records when the Manager names none.
const DefaultDriver = "libvirt"

// Opener opens the driver a Manager runs VMs on. The Manager opens it once,
// when first needed, and closes the driver in Close.
type Opener interface {
	Open(ctx context.Context) (vm.Driver, error)
}

// OpenFunc is a function that is an Opener.
type OpenFunc func(ctx context.Context) (vm.Driver, error)

// Open calls f.
func (f OpenFunc) Open(ctx context.Context) (vm.Driver, error) { return f(ctx) }

// AccelDecider decides KVM or TCG for the VMs of a new instance.
type AccelDecider interface {
	Accel(ctx context.Context) (vm.Accel, error)
}

// AccelFunc is a function that is an AccelDecider.
type AccelFunc func(ctx context.Context) (vm.Accel, error)

// Accel calls f.
func (f AccelFunc) Accel(ctx context.Context) (vm.Accel, error) { return f(ctx) }

// StandbyStarter has PrepareStandby run for an instance in the background,
// so that the command that asks for it can end (Spawner does it in a
// process of its own).
type StandbyStarter interface {
	StartStandby(id string) error
}

// StandbyFunc is a function that is a StandbyStarter.
type StandbyFunc func(id string) error

// StartStandby calls f.
func (f StandbyFunc) StartStandby(id string) error { return f(id) }

// VagrantProject is the Vagrant project folder and SSH key of the VM of
// spec: its instance's folder and key, the instance named by its
// "instance" label. Both are empty when the label is not a valid ID.
func (h Home) VagrantProject(spec vm.Spec) (dir, key string) {
	dir, err := h.Instance(spec.Labels["instance"])
	if err != nil {
		return "", ""
	}
	return dir, filepath.Join(dir, keyFile)
}

// DriverName is the driver the instance was made with; DefaultDriver for
// one that predates the record.
func (st *State) DriverName() string {
	if st.Driver == "" {
		return DefaultDriver
	}
	return st.Driver
}

func (m *Manager) driverName() string {
	if m.DriverName == "" {
		return DefaultDriver
	}
	return m.DriverName
}
