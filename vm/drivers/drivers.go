// Package drivers opens the vm.Driver vlab runs VMs on, by name, for a
// libvirt URI, and decides KVM or TCG for new VMs: the policy the CLI
// hands the instance manager, as a Config it fills from flags.
package drivers

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/libvirt"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

// Config says which driver to open, where, and with what.
type Config struct {
	// Name is the driver: "libvirt" (also when empty) or "vagrant".
	Name string
	// URI is the libvirt URI: this machine's, or a qemu+ssh:// host's.
	URI string
	// Socket, when set, is libvirtd's socket path (a libvirtd started by
	// hand, or a test's).
	Socket string
	// Dir is vlab's data folder: the accelerator probe's verdict and
	// Vagrant's machine index are kept there, boxes are packed there.
	Dir string
	// Images is the image store: boxes are packed from it and the
	// accelerator probe boots its first image's kernel.
	Images *images.Store
	// Project is the Vagrant project folder and SSH key of a VM's instance.
	Project func(spec vm.Spec) (dir, key string)
	// Progress receives warnings and progress lines; nil drops them.
	Progress io.Writer
	// Verbose receives everything Vagrant prints; nil hides it.
	Verbose io.Writer
}

// Open connects to the driver.
func (c Config) Open(ctx context.Context) (vm.Driver, error) {
	switch c.Name {
	case "", "libvirt":
		return c.Libvirt(ctx)
	case "vagrant":
		if libvirt.IsRemote(c.URI) {
			return nil, fmt.Errorf("driver vagrant runs VMs on this machine only, not on %s", c.URI)
		}
		return c.vagrant(ctx)
	}
	return nil, fmt.Errorf("driver %q: use libvirt or vagrant", c.Name)
}

// Libvirt connects to libvirtd at URI.
func (c Config) Libvirt(ctx context.Context) (*libvirt.Driver, error) {
	return libvirt.Connect(ctx, c.LibvirtOptions())
}

// LibvirtOptions are the options Libvirt connects with.
func (c Config) LibvirtOptions() libvirt.Options {
	return libvirt.Options{URI: c.URI, Socket: c.Socket}
}

// vagrant runs VMs through Vagrant, each instance a Vagrant project in its
// own folder, with the libvirt driver as the fast path.
func (c Config) vagrant(ctx context.Context) (*vagrant.Driver, error) {
	if c.Project == nil {
		return nil, fmt.Errorf("driver vagrant: no project folders")
	}
	lv, err := c.Libvirt(ctx)
	if err != nil {
		return nil, err
	}
	d, err := vagrant.New(vagrant.Options{
		Cmder:   vagrant.Exec{Verbose: c.Verbose},
		Domains: lv,
		Boxes:   c.Boxes(),
		Index:   filepath.Join(c.Dir, "vagrant", "machines"),
		Project: c.Project,
	})
	if err != nil {
		lv.Close()
		return nil, err
	}
	return d, nil
}

// Boxes adds vlab's boxes, packed from the image store.
func (c Config) Boxes() vagrant.BoxAdder {
	return vagrant.BoxAdder{
		Cmder:   vagrant.Exec{Verbose: c.Verbose},
		TempDir: c.Dir,
		Pack: func(ctx context.Context, img vm.Image, path string) error {
			i, err := c.Images.Get(img.Name)
			if err != nil {
				return err
			}
			if i.Digest != img.Digest {
				return fmt.Errorf("image %s changed while its box was made; try again", img.Name)
			}
			c.printf("packing image %s as Vagrant box %s\n", img.Name, vagrant.BoxName(img))
			return i.PackBox(ctx, path, c.Verbose)
		},
	}
}

// Accel decides KVM or TCG for new VMs, saying so on Progress when KVM is
// not used. VLAB_ACCEL wins. A remote host is asked what its libvirt
// offers; this machine is probed by booting an image's kernel under KVM,
// the verdict kept in Dir (before any image is built: TCG, nothing kept).
func (c Config) Accel(ctx context.Context) (vm.Accel, error) {
	if libvirt.IsRemote(c.URI) && os.Getenv("VLAB_ACCEL") == "" {
		// The probe below boots QEMU here; a remote host is asked instead.
		d, err := c.Libvirt(ctx)
		if err != nil {
			return "", err
		}
		defer d.Close()
		a, why := d.HostAccel(ctx)
		if a == vm.AccelTCG {
			c.printf("vlab: warning: using TCG software emulation, not KVM (%s)\n", why)
		}
		return a, nil
	}
	p := vm.AccelProbe{CacheFile: filepath.Join(c.Dir, "accel.json")}
	if c.Images != nil {
		if imgs, _ := c.Images.List(); len(imgs) > 0 {
			p.Kernel = imgs[0].Kernel
		}
	}
	r, err := p.Detect(ctx)
	if err != nil {
		return "", err
	}
	if r.Accel == vm.AccelTCG {
		c.printf("vlab: warning: using TCG software emulation, not KVM (%s); set VLAB_ACCEL=kvm to force KVM\n", r.Reason)
	}
	return r.Accel, nil
}

func (c Config) printf(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format, args...)
	}
}

// AddBox adds image i to Vagrant as a box, unless Vagrant has it already
// and force is false. It returns the box's name and whether it was added.
func (c Config) AddBox(ctx context.Context, i *images.Image, force bool) (name string, added bool, err error) {
	b, img := c.Boxes(), i.VM()
	name = vagrant.BoxName(img)
	if ok, err := b.Has(ctx, name); err != nil {
		return name, false, err
	} else if ok && !force {
		return name, false, nil
	}
	if err := b.Add(ctx, img, force); err != nil {
		return name, false, err
	}
	return name, true, nil
}
