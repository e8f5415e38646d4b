package libvirt

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/internal/lock"
	"github.com/vlab-dev/vlab/vm"
)

// ensurePool finds vlab's storage pool, defining and starting it when missing.
func (d *Driver) ensurePool(ctx context.Context) error {
	p, err := d.l.StoragePoolLookupByName(d.opt.Pool)
	if notFound(err) {
		p, err = d.definePool()
	}
	if err != nil {
		return fmt.Errorf("storage pool %q: %w", d.opt.Pool, translate(err))
	}
	// Starting an active pool fails harmlessly; a stopped one starts.
	d.l.StoragePoolCreate(p, 0)
	x, err := d.l.StoragePoolGetXMLDesc(p, 0)
	if err != nil {
		return fmt.Errorf("storage pool %q: %w", d.opt.Pool, translate(err))
	}
	var px libvirtxml.StoragePool
	if err := px.Unmarshal(x); err != nil {
		return err
	}
	if px.Target == nil || px.Target.Path == "" {
		return fmt.Errorf("storage pool %q has no target directory; vlab needs a dir pool", d.opt.Pool)
	}
	d.pool, d.dir = p, px.Target.Path
	return nil
}

func (d *Driver) definePool() (golibvirt.StoragePool, error) {
	px := libvirtxml.StoragePool{Type: "dir", Name: d.opt.Pool,
		Target: &libvirtxml.StoragePoolTarget{Path: d.opt.PoolDir}}
	x, err := px.Marshal()
	if err != nil {
		return golibvirt.StoragePool{}, err
	}
	p, err := d.l.StoragePoolDefineXML(x, 0)
	if err != nil {
		return p, err
	}
	if err := d.l.StoragePoolBuild(p, 0); err != nil {
		return p, err
	}
	d.l.StoragePoolSetAutostart(p, 1)
	return p, nil
}

func (d *Driver) path(vol string) string { return filepath.Join(d.dir, vol) }

// lookup finds a volume by name, refreshing the pool once if needed.
func (d *Driver) lookup(name string) (golibvirt.StorageVol, error) {
	v, err := d.l.StorageVolLookupByName(d.pool, name)
	if notFound(err) {
		d.l.StoragePoolRefresh(d.pool, 0)
		v, err = d.l.StorageVolLookupByName(d.pool, name)
	}
	return v, translate(err)
}

// cloneVolume makes volume name a copy of src, made by libvirtd on its
// host. A qcow2 copy is converted, its backing chain flattened.
func (d *Driver) cloneVolume(src golibvirt.StorageVol, name, format string) (golibvirt.StorageVol, error) {
	vx := libvirtxml.StorageVolume{Name: name, Capacity: &libvirtxml.StorageVolumeSize{Value: 0, Unit: "bytes"},
		Target: &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}}}
	x, err := vx.Marshal()
	if err != nil {
		return golibvirt.StorageVol{}, err
	}
	dst, err := d.l.StorageVolCreateXMLFrom(d.pool, x, src, 0)
	if err != nil {
		return golibvirt.StorageVol{}, fmt.Errorf("copy volume %s to %s: %w", src.Name, name, translate(err))
	}
	return dst, nil
}

// deleteVolume removes a volume; a missing one is not an error.
func (d *Driver) deleteVolume(name string) error {
	v, err := d.lookup(name)
	if notFoundErr(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := translate(d.l.StorageVolDelete(v, 0)); err != nil && !notFoundErr(err) {
		return fmt.Errorf("delete volume %s: %w", name, err)
	}
	return nil
}

func notFoundErr(err error) bool {
	return err != nil && strings.Contains(err.Error(), vm.ErrNotFound.Error())
}

// volumes lists the names of the pool's volumes that start with prefix,
// refreshing the pool first to see files made without libvirtd.
func (d *Driver) volumes(prefix string) ([]string, error) {
	d.l.StoragePoolRefresh(d.pool, 0)
	return d.listed(prefix)
}

// listed is volumes without the refresh, for volumes only libvirtd makes.
func (d *Driver) listed(prefix string) ([]string, error) {
	vols, _, err := d.l.StoragePoolListAllVolumes(d.pool, 1, 0)
	if err != nil {
		return nil, translate(err)
	}
	var out []string
	for _, v := range vols {
		if strings.HasPrefix(v.Name, prefix) {
			out = append(out, v.Name)
		}
	}
	return out, nil
}

// upload copies a local file into a new pool volume of the same size; a
// volume already named name is an error, never overwritten.
func (d *Driver) upload(ctx context.Context, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("image file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if err := d.createVolume(name, "raw", uint64(st.Size()), ""); err != nil {
		return err
	}
	v, err := d.lookup(name)
	if err != nil {
		return err
	}
	if err := d.l.StorageVolUpload(v, ctxReader{ctx, f}, 0, uint64(st.Size()), 0); err != nil {
		d.deleteVolume(name)
		return fmt.Errorf("upload %s to pool %s: %w", src, d.opt.Pool, translate(err))
	}
	return nil
}

// createVolume makes a volume; backing names a qcow2 volume it overlays.
func (d *Driver) createVolume(name, format string, capacity uint64, backing string) error {
	vx := libvirtxml.StorageVolume{Name: name,
		Capacity: &libvirtxml.StorageVolumeSize{Value: capacity, Unit: "bytes"},
		Target:   &libvirtxml.StorageVolumeTarget{Format: &libvirtxml.StorageVolumeTargetFormat{Type: format}}}
	if format == "raw" {
		vx.Allocation = &libvirtxml.StorageVolumeSize{Value: 0, Unit: "bytes"}
	}
	if backing != "" {
		vx.BackingStore = &libvirtxml.StorageVolumeBackingStore{Path: d.path(backing),
			Format: &libvirtxml.StorageVolumeTargetFormat{Type: "qcow2"}}
	}
	x, err := vx.Marshal()
	if err != nil {
		return err
	}
	if _, err := d.l.StorageVolCreateXML(d.pool, x, 0); err != nil {
		return fmt.Errorf("create volume %s: %w", name, translate(err))
	}
	return nil
}

// virtualSize reads the disk size from a local qcow2 header.
func virtualSize(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var hdr [32]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return 0, fmt.Errorf("read qcow2 header of %s: %w", path, err)
	}
	if string(hdr[:4]) != "QFI\xfb" {
		return 0, fmt.Errorf("%s is not a qcow2 image", path)
	}
	return binary.BigEndian.Uint64(hdr[24:32]), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// lockLocal serialises work on one shared object between vlab processes on
// this machine, in a lock folder no other local user can fill first; it
// waits at most an upload's time for another holder.
func lockLocal(name string) (func(), error) {
	dir, err := lock.PrivateDir()
	if err != nil {
		return nil, err
	}
	l, err := lock.Acquire(context.Background(), filepath.Join(dir, name), lock.Options{Wait: lock.Fixed(15 * time.Minute)})
	if err != nil {
		return nil, err
	}
	return l.Unlock, nil
}
