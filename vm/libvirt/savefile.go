package libvirt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// editSave returns header and data of a save file (b) with its recorded
// domain changed by edit. The data keeps its length (the domain XML and
// cookie must fit the space libvirt left), so QEMU's stream after it stays
// where it was.
func editSave(b []byte, edit func(*libvirtxml.Domain) error) ([]byte, error) {
	x, cookie, err := splitSave(b)
	if err != nil {
		return nil, err
	}
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return nil, fmt.Errorf("save file XML: %w", err)
	}
	if err := edit(&dom); err != nil {
		return nil, err
	}
	if x, err = dom.Marshal(); err != nil {
		return nil, err
	}
	return joinSave(b, x, cookie)
}

// splitSave returns the domain XML and the cookie (NUL-terminated, or nil)
// of a save file's header and data.
func splitSave(b []byte) (string, []byte, error) {
	h, err := parseSaveHeader(b)
	if err != nil {
		return "", nil, err
	}
	data := b[saveHeaderLen:]
	if uint32(len(data)) != h.dataLen {
		return "", nil, fmt.Errorf("save file data is %d bytes, header says %d", len(data), h.dataLen)
	}
	xmlEnd := bytes.IndexByte(data, 0)
	if xmlEnd < 0 {
		return "", nil, errors.New("save file XML is not terminated")
	}
	var cookie []byte
	if h.cookieOffset != 0 {
		if int(h.cookieOffset) > len(data) {
			return "", nil, errors.New("save file cookie offset out of range")
		}
		rest := data[h.cookieOffset:]
		i := bytes.IndexByte(rest, 0)
		if i < 0 {
			return "", nil, errors.New("save file cookie is not terminated")
		}
		cookie = rest[:i+1]
	}
	return string(data[:xmlEnd]), cookie, nil
}

// joinSave is b's header and data with the domain XML x and cookie, at
// b's data length.
func joinSave(b []byte, x string, cookie []byte) ([]byte, error) {
	h, err := parseSaveHeader(b)
	if err != nil {
		return nil, err
	}
	nd := append(append([]byte(x), 0), cookie...)
	if uint32(len(nd)) > h.dataLen {
		return nil, errors.New("changed domain XML does not fit the save file")
	}
	out := make([]byte, saveHeaderLen+int(h.dataLen))
	copy(out, b[:saveHeaderLen])
	if len(cookie) > 0 {
		binary.LittleEndian.PutUint32(out[32:], uint32(len(x)+1))
	}
	copy(out[saveHeaderLen:], nd)
	return out, nil
}

// labelsOf returns the vlab labels in a domain's metadata.
func labelsOf(dom *libvirtxml.Domain) map[string]string {
	if dom.Metadata == nil {
		return map[string]string{}
	}
	return parseLabels(dom.Metadata.XML)
}

// setConsole points the domain's serial console log (a plain file on
// older definitions) at path.
func setConsole(dom *libvirtxml.Domain, path string) {
	if dom.Devices == nil {
		return
	}
	for i := range dom.Devices.Serials {
		s := &dom.Devices.Serials[i]
		if s.Log != nil {
			s.Log.File = path
		}
		if s.Source != nil && s.Source.File != nil {
			s.Source.File.Path = path
		}
	}
	for i := range dom.Devices.Consoles {
		c := &dom.Devices.Consoles[i]
		if c.Log != nil {
			c.Log.File = path
		}
		if c.Source != nil && c.Source.File != nil {
			c.Source.File.Path = path
		}
	}
}

// setNetworks attaches the domain's lab-network interfaces, in order, to
// networks (those the VM of another instance was on become this one's).
func setNetworks(dom *libvirtxml.Domain, networks []string) error {
	n := 0
	if dom.Devices != nil {
		for i := range dom.Devices.Interfaces {
			src := dom.Devices.Interfaces[i].Source
			if src == nil || src.Network == nil {
				continue
			}
			if n >= len(networks) {
				return fmt.Errorf("the saved VM has more lab networks than %d", len(networks))
			}
			src.Network.Network, src.Network.Bridge, src.Network.PortID = networks[n], "", ""
			n++
		}
	}
	if n != len(networks) {
		return fmt.Errorf("the saved VM has %d lab networks, not %d", n, len(networks))
	}
	return nil
}

// savedDefinition is the definition a running VM's saved state must
// record when libvirt's own would be wrong; none otherwise. A VM that took
// over from its standby serves SSH through the forward TakeOver added in
// QEMU: its live definition has none (its persistent one has it), and a
// state saved with the live one would restore unreachable.
func (d *Driver) savedDefinition(dom golibvirt.Domain) (golibvirt.OptString, error) {
	lx, err := d.l.DomainGetXMLDesc(dom, golibvirt.DomainXMLMigratable)
	if err != nil {
		return nil, translate(err)
	}
	var live libvirtxml.Domain
	if err := live.Unmarshal(lx); err != nil {
		return nil, err
	}
	if forwardPort(&live) != 0 {
		return nil, nil
	}
	ix, err := d.l.DomainGetXMLDesc(dom, golibvirt.DomainXMLInactive)
	if err != nil {
		return nil, translate(err)
	}
	var persistent libvirtxml.Domain
	if err := persistent.Unmarshal(ix); err != nil {
		return nil, err
	}
	port := forwardPort(&persistent)
	if port == 0 {
		return nil, nil
	}
	setForwardPort(&live, port)
	x, err := live.Marshal()
	if err != nil {
		return nil, err
	}
	return golibvirt.OptString{x}, nil
}
