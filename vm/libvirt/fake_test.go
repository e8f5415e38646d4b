package libvirt

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// fakeLibvirt is an in-memory libvirtd: domains with a state and XML, one
// pool of volumes (save files are volumes too), and networks.
type fakeLibvirt struct {
	mu       sync.Mutex
	pool     *libvirtxml.StoragePool // nil until defined
	domains  map[string]*fakeDomain
	vols     map[string]*fakeVol // by name
	networks map[string]string   // name -> XML
	uploads  []string            // volumes uploaded, in order
	startErr error               // returned by the next DomainCreateWithFlags
}

type fakeDomain struct {
	xml   string
	state golibvirt.DomainState
}

type fakeVol struct {
	path, format, backing string
	capacity              uint64
	data                  []byte
	saved                 string // domain XML of a save file
}

var _ api = (*fakeLibvirt)(nil)

func newFake() *fakeLibvirt {
	return &fakeLibvirt{domains: map[string]*fakeDomain{}, vols: map[string]*fakeVol{}, networks: map[string]string{}}
}

func lverr(code golibvirt.ErrorNumber, format string, args ...any) error {
	return golibvirt.Error{Code: uint32(code), Message: fmt.Sprintf(format, args...)}
}

func (f *fakeLibvirt) ConnectGetVersion() (uint64, error) { return 10_000_000, nil }
func (f *fakeLibvirt) Disconnect() error                  { return nil }

func (f *fakeLibvirt) DomainLookupByName(name string) (golibvirt.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.domains[name] == nil {
		return golibvirt.Domain{}, lverr(golibvirt.ErrNoDomain, "Domain not found: no domain with matching name '%s'", name)
	}
	return golibvirt.Domain{Name: name}, nil
}

func (f *fakeLibvirt) dom(d golibvirt.Domain) (*fakeDomain, error) {
	if x := f.domains[d.Name]; x != nil {
		return x, nil
	}
	return nil, lverr(golibvirt.ErrNoDomain, "Domain not found: %s", d.Name)
}

// checkDisk fails like QEMU when a domain's disk is not in the pool.
func (f *fakeLibvirt) checkDisk(x string) (string, error) {
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return "", lverr(golibvirt.ErrXMLError, "%v", err)
	}
	if disk := diskOf(&dom); f.byPath(disk) == nil {
		return "", lverr(golibvirt.ErrOperationFailed, "Cannot access storage file '%s'", disk)
	}
	return dom.Name, nil
}

func (f *fakeLibvirt) DomainDefineXMLFlags(x string, _ golibvirt.DomainDefineFlags) (golibvirt.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return golibvirt.Domain{}, lverr(golibvirt.ErrXMLError, "%v", err)
	}
	if d := f.domains[dom.Name]; d != nil {
		d.xml = x
	} else {
		f.domains[dom.Name] = &fakeDomain{xml: x, state: golibvirt.DomainShutoff}
	}
	return golibvirt.Domain{Name: dom.Name}, nil
}

func (f *fakeLibvirt) DomainCreateWithFlags(d golibvirt.Domain, _ uint32) (golibvirt.Domain, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return d, err
	}
	if err, f.startErr = f.startErr, nil; err != nil {
		return d, err
	}
	if x.state == golibvirt.DomainRunning {
		return d, lverr(golibvirt.ErrOperationInvalid, "Requested operation is not valid: domain is already running")
	}
	if _, err := f.checkDisk(x.xml); err != nil {
		return d, err
	}
	x.state = golibvirt.DomainRunning
	return d, nil
}

func (f *fakeLibvirt) DomainGetState(d golibvirt.Domain, _ uint32) (int32, int32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return 0, 0, err
	}
	return int32(x.state), 0, nil
}

func (f *fakeLibvirt) DomainGetXMLDesc(d golibvirt.Domain, _ golibvirt.DomainXMLFlags) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return "", err
	}
	return x.xml, nil
}

// setState moves a domain from one of states to to; others fail.
func (f *fakeLibvirt) setState(d golibvirt.Domain, to golibvirt.DomainState, from ...golibvirt.DomainState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return err
	}
	for _, s := range from {
		if x.state == s {
			x.state = to
			return nil
		}
	}
	return lverr(golibvirt.ErrOperationInvalid, "Requested operation is not valid: domain is not running")
}

func (f *fakeLibvirt) DomainSuspend(d golibvirt.Domain) error {
	return f.setState(d, golibvirt.DomainPaused, golibvirt.DomainRunning)
}

func (f *fakeLibvirt) DomainResume(d golibvirt.Domain) error {
	return f.setState(d, golibvirt.DomainRunning, golibvirt.DomainPaused)
}

func (f *fakeLibvirt) DomainShutdownFlags(d golibvirt.Domain, _ golibvirt.DomainShutdownFlagValues) error {
	return f.setState(d, golibvirt.DomainShutoff, golibvirt.DomainRunning)
}

func (f *fakeLibvirt) DomainDestroyFlags(d golibvirt.Domain, _ golibvirt.DomainDestroyFlagsValues) error {
	return f.setState(d, golibvirt.DomainShutoff, golibvirt.DomainRunning, golibvirt.DomainPaused)
}

func (f *fakeLibvirt) DomainUndefineFlags(d golibvirt.Domain, _ golibvirt.DomainUndefineFlagsValues) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.dom(d); err != nil {
		return err
	}
	delete(f.domains, d.Name)
	return nil
}

func (f *fakeLibvirt) DomainSaveFlags(d golibvirt.Domain, to string, _ golibvirt.OptString, _ uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.dom(d)
	if err != nil {
		return err
	}
	if x.state != golibvirt.DomainRunning && x.state != golibvirt.DomainPaused {
		return lverr(golibvirt.ErrOperationInvalid, "domain is not running")
	}
	if f.byPath(to) != nil {
		return lverr(golibvirt.ErrSystemError, "file %s exists", to)
	}
	f.vols[filepath.Base(to)] = &fakeVol{path: to, format: "raw", saved: x.xml}
	x.state = golibvirt.DomainShutoff
	return nil
}

func (f *fakeLibvirt) DomainRestoreFlags(from string, dxml golibvirt.OptString, flags uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.byPath(from)
	if v == nil || v.saved == "" {
		return lverr(golibvirt.ErrSystemError, "cannot open saved state %s", from)
	}
	x := v.saved
	if len(dxml) > 0 {
		x = dxml[0]
	}
	name, err := f.checkDisk(x)
	if err != nil {
		return err
	}
	if d := f.domains[name]; d != nil && d.state != golibvirt.DomainShutoff {
		return lverr(golibvirt.ErrOperationInvalid, "domain %s is already active", name)
	}
	f.domains[name] = &fakeDomain{xml: x, state: golibvirt.DomainRunning}
	return nil
}

func (f *fakeLibvirt) DomainSaveImageGetXMLDesc(file string, _ uint32) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.byPath(file); v != nil && v.saved != "" {
		return v.saved, nil
	}
	return "", lverr(golibvirt.ErrSystemError, "cannot open %s", file)
}

func (f *fakeLibvirt) DomainSnapshotCreateXML(d golibvirt.Domain, _ string, _ uint32) (golibvirt.DomainSnapshot, error) {
	return golibvirt.DomainSnapshot{}, lverr(golibvirt.ErrNoSupport, "not in the fake")
}

func (f *fakeLibvirt) DomainSnapshotLookupByName(d golibvirt.Domain, name string, _ uint32) (golibvirt.DomainSnapshot, error) {
	return golibvirt.DomainSnapshot{}, lverr(golibvirt.ErrNoDomainSnapshot, "no snapshot %s", name)
}

func (f *fakeLibvirt) DomainRevertToSnapshot(golibvirt.DomainSnapshot, uint32) error {
	return lverr(golibvirt.ErrNoDomainSnapshot, "no snapshot")
}

func (f *fakeLibvirt) DomainSnapshotDelete(golibvirt.DomainSnapshot, golibvirt.DomainSnapshotDeleteFlags) error {
	return lverr(golibvirt.ErrNoDomainSnapshot, "no snapshot")
}

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

func (f *fakeLibvirt) StorageVolUpload(v golibvirt.StorageVol, r io.Reader, _, _ uint64, _ golibvirt.StorageVolUploadFlags) error {
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
	x.data = data
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
	_, err = io.Copy(w, bytes.NewReader(x.data[min(offset, end):end]))
	return err
}

func (f *fakeLibvirt) NetworkLookupByName(name string) (golibvirt.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.networks[name]; !ok {
		return golibvirt.Network{}, lverr(golibvirt.ErrNoNetwork, "Network not found: %s", name)
	}
	return golibvirt.Network{Name: name}, nil
}

func (f *fakeLibvirt) NetworkCreateXML(x string) (golibvirt.Network, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n libvirtxml.Network
	if err := n.Unmarshal(x); err != nil {
		return golibvirt.Network{}, lverr(golibvirt.ErrXMLError, "%v", err)
	}
	if _, ok := f.networks[n.Name]; ok {
		return golibvirt.Network{}, lverr(golibvirt.ErrNetworkExist, "network %s exists", n.Name)
	}
	f.networks[n.Name] = x
	return golibvirt.Network{Name: n.Name}, nil
}

func (f *fakeLibvirt) NetworkDestroy(n golibvirt.Network) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.networks[n.Name]; !ok {
		return lverr(golibvirt.ErrNoNetwork, "Network not found: %s", n.Name)
	}
	delete(f.networks, n.Name)
	return nil
}

// checkConsistent fails the test when a volume's backing file or a
// defined domain's disk is gone: what a real host could no longer boot.
func (f *fakeLibvirt) checkConsistent(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.volNames() {
		v := f.vols[n]
		if v.backing != "" && f.byPath(v.backing) == nil {
			t.Errorf("volume %s is backed by %s, which is gone", n, v.backing)
		}
		if v.saved != "" {
			if _, err := f.checkDisk(v.saved); err != nil {
				t.Errorf("save file %s: %v", n, err)
			}
		}
	}
	for name, d := range f.domains {
		if _, err := f.checkDisk(d.xml); err != nil {
			t.Errorf("domain %s: %v", name, err)
		}
	}
}

// volsWithPrefix lists volume names starting with prefix.
func (f *fakeLibvirt) volsWithPrefix(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, n := range f.volNames() {
		if strings.HasPrefix(n, prefix) {
			out = append(out, n)
		}
	}
	return out
}
