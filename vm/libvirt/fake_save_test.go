package libvirt

import (
	"path/filepath"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// The fake's saved states, internal snapshots and networks.

func (f *fakeLibvirt) DomainSaveFlags(d golibvirt.Domain, to string, dxml golibvirt.OptString, _ uint32) error {
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
	saved := x.xml
	if len(dxml) > 0 {
		saved = dxml[0]
	}
	f.vols[filepath.Base(to)] = &fakeVol{path: to, format: "raw", data: fakeSave(saved)}
	x.state = golibvirt.DomainShutoff
	if x.persistent != "" {
		x.xml, x.persistent = x.persistent, ""
	}
	return nil
}

func (f *fakeLibvirt) DomainRestoreFlags(from string, dxml golibvirt.OptString, flags uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.byPath(from)
	if v == nil || v.saved() == "" {
		return lverr(golibvirt.ErrSystemError, "cannot open saved state %s", from)
	}
	x := v.saved()
	var src libvirtxml.Domain
	src.Unmarshal(x)
	if len(dxml) > 0 {
		x = dxml[0]
	}
	name, err := f.checkDisk(x)
	if err != nil {
		return err
	}
	var dst libvirtxml.Domain
	dst.Unmarshal(x)
	if dst.Name != src.Name || dst.UUID != src.UUID {
		return lverr(golibvirt.ErrConfigUnsupported, "unsupported configuration: Target domain %s/%s does not match source %s/%s", dst.Name, dst.UUID, src.Name, src.UUID)
	}
	if d := f.domains[name]; d != nil && d.state != golibvirt.DomainShutoff {
		return lverr(golibvirt.ErrOperationInvalid, "domain %s is already active", name)
	}
	state := golibvirt.DomainRunning
	if flags&uint32(golibvirt.DomainSavePaused) != 0 {
		state = golibvirt.DomainPaused
	}
	if err := f.bindForward(name, x); err != nil {
		return err
	}
	if d := f.domains[name]; d != nil {
		if x != d.xml {
			if d.persistent == "" {
				d.persistent = d.xml
			}
			d.xml = x
		}
		d.state, d.fwd = state, fwdOf(x)
		return nil
	}
	f.domains[name] = &fakeDomain{xml: x, state: state, fwd: fwdOf(x)}
	return nil
}

func (f *fakeLibvirt) DomainSaveImageGetXMLDesc(file string, _ uint32) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v := f.byPath(file); v != nil && v.saved() != "" {
		return v.saved(), nil
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
