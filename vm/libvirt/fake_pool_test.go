package libvirt

import (
	"bytes"
	"io"
	"path/filepath"
	"sort"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// The storage side of fakeLibvirt: one dir pool whose volumes live in memory.

func (f *fakeLibvirt) StoragePoolLookupByName(name string) (golibvirt.StoragePool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pool == nil || f.pool.Name != name {
		return golibvirt.StoragePool{}, lverr(golibvirt.ErrNoStoragePool, "Storage pool not found: %s", name)
	}
	return golibvirt.StoragePool{Name: name}, nil
}

func (f *fakeLibvirt) StoragePoolDefineXML(x string, _ uint32) (golibvirt.StoragePool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var p libvirtxml.StoragePool
	if err := p.Unmarshal(x); err != nil {
		return golibvirt.StoragePool{}, lverr(golibvirt.ErrXMLError, "%v", err)
	}
	f.pool = &p
	return golibvirt.StoragePool{Name: p.Name}, nil
}

func (f *fakeLibvirt) StoragePoolBuild(golibvirt.StoragePool, golibvirt.StoragePoolBuildFlags) error {
	return nil
}

func (f *fakeLibvirt) StoragePoolCreate(golibvirt.StoragePool, golibvirt.StoragePoolCreateFlags) error {
	return lverr(golibvirt.ErrOperationInvalid, "storage pool is already active")
}

func (f *fakeLibvirt) StoragePoolSetAutostart(golibvirt.StoragePool, int32) error { return nil }
func (f *fakeLibvirt) StoragePoolRefresh(golibvirt.StoragePool, uint32) error     { return nil }

func (f *fakeLibvirt) StoragePoolGetXMLDesc(golibvirt.StoragePool, golibvirt.StorageXMLFlags) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pool.Marshal()
}

func (f *fakeLibvirt) StoragePoolListAllVolumes(p golibvirt.StoragePool, _ int32, _ uint32) ([]golibvirt.StorageVol, uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []golibvirt.StorageVol
	for _, n := range f.volNames() {
		out = append(out, golibvirt.StorageVol{Pool: p.Name, Name: n, Key: f.vols[n].path})
	}
	return out, uint32(len(out)), nil
}

func (f *fakeLibvirt) volNames() []string {
	var out []string
	for n := range f.vols {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (f *fakeLibvirt) byPath(p string) *fakeVol {
	for _, v := range f.vols {
		if v.path == p {
			return v
		}
	}
	return nil
}

func (f *fakeLibvirt) StorageVolCreateXML(p golibvirt.StoragePool, x string, _ golibvirt.StorageVolCreateFlags) (golibvirt.StorageVol, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var vx libvirtxml.StorageVolume
	if err := vx.Unmarshal(x); err != nil {
		return golibvirt.StorageVol{}, lverr(golibvirt.ErrXMLError, "%v", err)
	}
	if f.vols[vx.Name] != nil {
		return golibvirt.StorageVol{}, lverr(golibvirt.ErrStorageVolExist, "storage volume '%s' exists already", vx.Name)
	}
	v := &fakeVol{path: filepath.Join(f.pool.Target.Path, vx.Name), format: vx.Target.Format.Type, capacity: vx.Capacity.Value}
	if vx.BackingStore != nil {
		if f.byPath(vx.BackingStore.Path) == nil {
			return golibvirt.StorageVol{}, lverr(golibvirt.ErrOperationFailed, "backing store %s missing", vx.BackingStore.Path)
		}
		v.backing = vx.BackingStore.Path
	}
	f.vols[vx.Name] = v
	return golibvirt.StorageVol{Pool: p.Name, Name: vx.Name, Key: v.path}, nil
}

func (f *fakeLibvirt) vol(v golibvirt.StorageVol) (*fakeVol, error) {
	if x := f.vols[v.Name]; x != nil {
		return x, nil
	}
	return nil, lverr(golibvirt.ErrNoStorageVol, "Storage volume not found: %s", v.Name)
}

func (f *fakeLibvirt) StorageVolLookupByName(p golibvirt.StoragePool, name string) (golibvirt.StorageVol, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.vol(golibvirt.StorageVol{Name: name})
	if err != nil {
		return golibvirt.StorageVol{}, err
	}
	return golibvirt.StorageVol{Pool: p.Name, Name: name, Key: x.path}, nil
}

func (f *fakeLibvirt) StorageVolGetPath(v golibvirt.StorageVol) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.vol(v)
	if err != nil {
		return "", err
	}
	return x.path, nil
}

func (f *fakeLibvirt) StorageVolGetInfo(v golibvirt.StorageVol) (int8, uint64, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.vol(v)
	if err != nil {
		return 0, 0, 0, err
	}
	size := max(x.capacity, uint64(len(x.data)))
	return 0, size, uint64(len(x.data)), nil
}

func (f *fakeLibvirt) StorageVolDelete(v golibvirt.StorageVol, _ golibvirt.StorageVolDeleteFlags) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.vol(v); err != nil {
		return err
	}
	delete(f.vols, v.Name)
	return nil
}

// StorageVolCreateXMLFrom copies a volume's bytes into a new raw volume.
func (f *fakeLibvirt) StorageVolCreateXMLFrom(p golibvirt.StoragePool, x string, clone golibvirt.StorageVol, _ golibvirt.StorageVolCreateFlags) (golibvirt.StorageVol, error) {
	f.mu.Lock()
	src, err := f.vol(clone)
	f.mu.Unlock()
	if err != nil {
		return golibvirt.StorageVol{}, err
	}
	v, err := f.StorageVolCreateXML(p, x, 0)
	if err != nil {
		return v, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.vols[v.Name].data = append([]byte(nil), src.data...)
	return v, nil
}

// StorageVolUpload writes at offset without truncating, as libvirt does.
func (f *fakeLibvirt) StorageVolUpload(v golibvirt.StorageVol, r io.Reader, offset, _ uint64, _ golibvirt.StorageVolUploadFlags) error {
	data, err := io.ReadAll(r)
	f.mu.Lock()
	defer f.mu.Unlock()
	x, verr := f.vol(v)
	if verr != nil {
		return verr
	}
	if err != nil {
		return err
	}
	if end := int(offset) + len(data); end > len(x.data) {
		x.data = append(x.data, make([]byte, end-len(x.data))...)
	}
	copy(x.data[offset:], data)
	f.uploads = append(f.uploads, v.Name)
	return nil
}

func (f *fakeLibvirt) StorageVolDownload(v golibvirt.StorageVol, w io.Writer, offset, length uint64, _ golibvirt.StorageVolDownloadFlags) error {
	f.mu.Lock()
	x, err := f.vol(v)
	f.mu.Unlock()
	if err != nil {
		return err
	}
	end := min(offset+length, uint64(len(x.data)))
	if f.shortStreams && end > offset+1 {
		end = offset + 1 // a stream that ended at an early empty packet
	}
	_, err = io.Copy(w, bytes.NewReader(x.data[min(offset, end):end]))
	return err
}
