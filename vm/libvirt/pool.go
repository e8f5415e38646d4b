package libvirt

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
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

// volumes lists the names of the pool's volumes that start with prefix.
func (d *Driver) volumes(prefix string) ([]string, error) {
	d.l.StoragePoolRefresh(d.pool, 0)
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

// baseVolumes are the pool volume names of an image's files. done is the
// completion marker of this very copy of the files (see imageStamp).
type baseVolumes struct{ disk, kernel, initrd, done string }

func baseNames(img vm.Image) baseVolumes {
	p := "image-" + img.Digest[:16]
	return baseVolumes{disk: p + ".qcow2", kernel: p + ".vmlinuz", initrd: p + ".initrd", done: p + ".complete"}
}

// imageStamp identifies the local copy of an image's files by their sizes
// and modification times: `vlab images build --force` rebuilds an image
// under the same digest, and the pool must then take the new files.
func imageStamp(img vm.Image) (string, error) {
	h := sha256.New()
	for _, p := range []string{img.Disk, img.Kernel, img.Initrd} {
		if p == "" {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("image file: %w", err)
		}
		fmt.Fprintf(h, "%s %d %d\n", filepath.Base(p), st.Size(), st.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureImage uploads the image's files into the pool once per copy of
// them. An upload cut short (no completion marker) and a rebuilt image (a
// marker of other files) are uploaded again.
func (d *Driver) ensureImage(ctx context.Context, img vm.Image) (baseVolumes, error) {
	names := baseNames(img)
	unlock, err := lockLocal("vlab-pool-" + d.opt.Pool + "-" + img.Digest[:16])
	if err != nil {
		return names, err
	}
	defer unlock()
	stamp, err := imageStamp(img)
	if err != nil {
		return names, err
	}
	marker := names.done + "-" + stamp
	if _, err := d.lookup(marker); err == nil {
		return names, nil
	}
	old, err := d.volumes(names.done)
	if err != nil {
		return names, err
	}
	for _, m := range old {
		if err := d.deleteVolume(m); err != nil {
			return names, err
		}
	}
	uploads := [][2]string{{img.Disk, names.disk}}
	if img.Kernel != "" {
		uploads = append(uploads, [2]string{img.Kernel, names.kernel}, [2]string{img.Initrd, names.initrd})
	}
	for _, u := range uploads {
		if err := d.upload(ctx, u[0], u[1]); err != nil {
			return names, err
		}
	}
	if err := d.createVolume(marker, "raw", 0, ""); err != nil {
		return names, err
	}
	return names, nil
}

// upload copies a local file into a new pool volume of the same size.
func (d *Driver) upload(ctx context.Context, src, name string) error {
	if err := d.deleteVolume(name); err != nil {
		return err
	}
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
