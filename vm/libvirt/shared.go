package libvirt

import (
	"context"

	"github.com/vlab-dev/vlab/vm"
)

// ImageFiles are the paths, on the libvirt host, of a base image uploaded
// into vlab's pool.
type ImageFiles struct {
	Disk, Kernel, Initrd string
}

// EnsureImage uploads img into the pool once per copy of its files (see
// base.go) and returns where they are, so that VMs defined by other tools
// (Vagrant) boot the same kernel.
func (d *Driver) EnsureImage(ctx context.Context, img vm.Image) (ImageFiles, error) {
	names, err := d.ensureImage(ctx, img)
	if err != nil {
		return ImageFiles{}, err
	}
	f := ImageFiles{Disk: d.path(names.disk)}
	if img.Kernel != "" {
		f.Kernel, f.Initrd = d.path(names.kernel), d.path(names.initrd)
	}
	return f, nil
}

// Pool names the storage pool the driver keeps its volumes in.
func (d *Driver) Pool() string { return d.opt.Pool }

// VolumePath is where volume vol of the pool is on the libvirt host.
func (d *Driver) VolumePath(vol string) string { return d.path(vol) }
