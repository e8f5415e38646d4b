// Package vagrant drives VMs through the vagrant CLI and its libvirt
// provider. Each lab instance is a Vagrant project (a Vagrantfile rendered
// from Vagrantfile.tmpl in the instance's folder), so `vagrant status` and
// `vagrant ssh` work there. Creating, starting, stopping and destroying go
// through vagrant; saving and restoring whole-VM states, pausing and state
// queries act on the libvirt domains Vagrant made, directly (the fast path).
package vagrant

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// Domains is the libvirt side the driver needs: a whole vm.Driver for the
// domains Vagrant created, plus the image files in its pool. *libvirt.Driver
// satisfies it.
type Domains interface {
	vm.Driver
	EnsureImage(ctx context.Context, img vm.Image) (libvirt.ImageFiles, error)
	Pool() string
	VolumePath(vol string) string
	// DomainUUID is the UUID libvirt knows the domain by.
	DomainUUID(ctx context.Context, name string) (string, error)
	// SetLabels records labels in a domain Vagrant defined, so that
	// Inventory finds it as it finds the libvirt driver's own.
	SetLabels(ctx context.Context, name string, labels map[string]string) error
}

var _ Domains = (*libvirt.Driver)(nil)

// Boxes makes sure a Vagrant box of a base image is installed.
type Boxes interface {
	// Ensure adds the box of img unless it is there and returns its name.
	Ensure(ctx context.Context, img vm.Image) (string, error)
}

// Options configure a Driver.
type Options struct {
	Cmder   Cmder
	Domains Domains
	Boxes   Boxes
	// Vagrant is the vagrant program; default "vagrant".
	Vagrant string
	// Index is a folder where the driver records which project each
	// domain belongs to.
	Index string
	// Project returns the folder of the Vagrant project a VM belongs to and
	// the private key its Vagrantfile logs in with.
	Project func(spec vm.Spec) (dir, key string)
	// BootTimeout is how long vagrant up waits for SSH, in seconds; default 300.
	BootTimeout int
}

// Driver is the Vagrant implementation of vm.Driver. The methods it does not
// define are the fast path: Domains' own.
type Driver struct {
	Domains
	opt Options
}

var (
	_ vm.Driver      = (*Driver)(nil)
	_ vm.Clock       = (*Driver)(nil)
	_ vm.GuestRunner = (*Driver)(nil)
	_ vm.HostMemory  = (*Driver)(nil)
)

// AvailableMemory is the memory left on the machine Vagrant's libvirt
// runs its VMs on.
func (d *Driver) AvailableMemory(ctx context.Context) (uint64, error) {
	h, ok := d.Domains.(vm.HostMemory)
	if !ok {
		return 0, fmt.Errorf("no host memory through %T", d.Domains)
	}
	return h.AvailableMemory(ctx)
}

// SetClock sets the guest's clock through the domain's guest agent, as the
// libvirt driver does (Vagrantfile.tmpl gives every machine its channel).
func (d *Driver) SetClock(ctx context.Context, name string, t time.Time) error {
	c, ok := d.Domains.(vm.Clock)
	if !ok {
		return fmt.Errorf("vm %s: no guest agent access through %T", name, d.Domains)
	}
	return c.SetClock(ctx, name, t)
}

// GuestRun runs a program in the guest through the domain's guest agent,
// as the libvirt driver does (Vagrantfile.tmpl gives every machine its
// channel): the triggers of a VM back from its golden state thaw this way.
func (d *Driver) GuestRun(ctx context.Context, name string, argv []string, stdin []byte) error {
	r, ok := d.Domains.(vm.GuestRunner)
	if !ok {
		return fmt.Errorf("vm %s: no guest agent access through %T", name, d.Domains)
	}
	return r.GuestRun(ctx, name, argv, stdin)
}

// New returns a driver; it runs nothing yet.
func New(opt Options) (*Driver, error) {
	if opt.Cmder == nil || opt.Domains == nil || opt.Boxes == nil || opt.Project == nil || opt.Index == "" {
		return nil, errors.New("vagrant driver: Cmder, Domains, Boxes, Project and Index are required")
	}
	if opt.Vagrant == "" {
		opt.Vagrant = "vagrant"
	}
	if opt.BootTimeout == 0 {
		opt.BootTimeout = 300
	}
	return &Driver{Domains: opt.Domains, opt: opt}, nil
}

// vagrant runs one vagrant command in a project folder.
func (d *Driver) vagrant(ctx context.Context, dir string, args ...string) (string, error) {
	return d.opt.Cmder.Run(ctx, Cmd{Dir: dir, Args: append([]string{d.opt.Vagrant}, args...),
		Env: []string{"VAGRANT_DEFAULT_PROVIDER=libvirt", "VAGRANT_CHECKPOINT_DISABLE=1", "VAGRANT_NO_COLOR=1"}})
}

// Create adds the VM to its project's Vagrantfile and runs `vagrant up`.
// The box and the pool's copy of the kernel are made first when missing.
func (d *Driver) Create(ctx context.Context, spec vm.Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if spec.DiskBytes > 0 {
		return fmt.Errorf("vm %s: a disk size of its own (vms[].disk) is not made by the vagrant driver, whose VMs keep their box's; use the libvirt driver", spec.Name)
	}
	if st, err := d.Domains.State(ctx, spec.Name); err != nil {
		return err
	} else if st != vm.StateAbsent {
		return fmt.Errorf("vm %s: %w", spec.Name, vm.ErrExists)
	}
	m, err := d.machine(ctx, spec)
	if err != nil {
		return fmt.Errorf("vm %s: %w", spec.Name, err)
	}
	dir, key := d.opt.Project(spec)
	if err := d.add(dir, key, m); err != nil {
		return err
	}
	_, err = d.vagrant(ctx, dir, "up", "--provider=libvirt", "--no-provision", m.Name)
	// Labelled even when up failed half-way, so that the domain it left
	// is provably the instance's own and can be destroyed.
	if st, serr := d.Domains.State(ctx, spec.Name); serr == nil && st != vm.StateAbsent {
		if lerr := d.Domains.SetLabels(ctx, spec.Name, spec.Labels); lerr != nil && err == nil {
			err = lerr
		}
	}
	if err != nil {
		return fmt.Errorf("create vm %s: %w", spec.Name, err)
	}
	return nil
}

// machine turns a spec into a machine of the Vagrantfile.
func (d *Driver) machine(ctx context.Context, spec vm.Spec) (Machine, error) {
	files, err := d.Domains.EnsureImage(ctx, spec.Image)
	if err != nil {
		return Machine{}, fmt.Errorf("base image %s: %w", spec.Image.Name, err)
	}
	box, err := d.opt.Boxes.Ensure(ctx, spec.Image)
	if err != nil {
		return Machine{}, fmt.Errorf("box of image %s: %w", spec.Image.Name, err)
	}
	name := spec.Labels["vm"]
	if name == "" || !strings.HasSuffix(spec.Name, name) {
		name = spec.Name
	}
	m := Machine{Name: name, Domain: spec.Name, Prefix: strings.TrimSuffix(spec.Name, name), Box: box,
		Memory: spec.Memory, CPUs: spec.CPUs, DomainType: map[vm.Accel]string{vm.AccelKVM: "kvm", vm.AccelTCG: "qemu"}[spec.Accel],
		Pool: d.Domains.Pool(), Kernel: files.Kernel, Initrd: files.Initrd, Cmdline: libvirt.KernelCmdline(spec.KernelArgs),
		SSHPort: spec.SSHPort, Console: d.Domains.VolumePath(spec.Name + ".console"), BootTimeout: d.opt.BootTimeout}
	for i, n := range spec.Networks {
		m.Networks = append(m.Networks, Network{Name: n, Slot: NetworkSlot(i)})
	}
	return m, nil
}

// Start boots a stopped VM with `vagrant up`.
func (d *Driver) Start(ctx context.Context, name string) error {
	e, err := d.lookup(name)
	if err != nil {
		return d.Domains.Start(ctx, name)
	}
	if st, err := d.Domains.State(ctx, name); err != nil || st == vm.StateRunning {
		return err
	}
	if _, err := d.vagrant(ctx, e.Dir, "up", "--provider=libvirt", "--no-provision", e.Machine); err != nil {
		return fmt.Errorf("start vm %s: %w", name, err)
	}
	return nil
}

// Stop runs `vagrant halt` and forces the VM off when that fails.
func (d *Driver) Stop(ctx context.Context, name string) error {
	st, err := d.Domains.State(ctx, name)
	if err != nil || st == vm.StateAbsent || st == vm.StateStopped {
		return err
	}
	e, err := d.lookup(name)
	if err == nil {
		if _, err = d.vagrant(ctx, e.Dir, "halt", e.Machine); err == nil {
			return nil
		}
	}
	if ferr := d.Domains.Stop(ctx, name); ferr != nil {
		return errors.Join(err, ferr)
	}
	return nil
}

// Destroy runs `vagrant destroy`, then removes whatever is left of the
// domain in libvirt (saved states and their disks), and drops the VM from
// its Vagrantfile.
func (d *Driver) Destroy(ctx context.Context, name string) error {
	e, lerr := d.lookup(name)
	if lerr != nil {
		// Not made by this driver, or destroyed already: libvirt's sweep.
		return d.Domains.Destroy(ctx, name)
	}
	if e.Alias {
		// A standby's domain: the machine goes with its own domain.
		if err := d.Domains.Destroy(ctx, name); err != nil {
			return err
		}
		return os.Remove(d.indexPath(name))
	}
	_, verr := d.vagrant(ctx, e.Dir, "destroy", "--force", e.Machine)
	if err := d.Domains.Destroy(ctx, name); err != nil {
		return errors.Join(verr, err)
	}
	if verr != nil {
		// The domain is gone now; this only clears Vagrant's record of it.
		if _, err := d.vagrant(ctx, e.Dir, "destroy", "--force", e.Machine); err != nil {
			return fmt.Errorf("destroy vm %s: %w", name, err)
		}
	}
	return d.remove(name, e)
}
