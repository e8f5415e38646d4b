package libvirt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

var _ vm.Standby = (*Driver)(nil)

// A standby is the golden state restored ahead of time into a second
// domain, paused and without its SSH port forward. Taking over is then a
// resume and two QEMU monitor commands that move the port forward: no QEMU
// start, no memory load. libvirt restores a save file only into the domain
// (name and UUID) recorded in it, so a standby of another name gets its own
// copy of the owner's save file with the recorded domain renamed.

// PrepareStandby restores owner's saved state tag into the domain standby,
// paused, with no SSH port forward. Whatever ran as standby is forced off
// and its overlay thrown away. The standby's persistent definition keeps
// the forward, so that a later cold start has SSH.
func (d *Driver) PrepareStandby(ctx context.Context, owner, tag, standby string) error {
	if standby != owner {
		if err := d.ensureSaveCopy(owner, standby, tag); err != nil {
			return err
		}
	}
	return d.restore(ctx, standby, tag, true, 0)
}

// ensureSaveCopy makes standby's copy of owner's save file unless a good
// one is there: a copy cut short (killed before its header was rewritten)
// still names the owner and is made again.
func (d *Driver) ensureSaveCopy(owner, standby, tag string) error {
	_, err := d.lookup(saveName(standby, tag))
	if notFoundErr(err) {
		return d.copySave(owner, standby, tag)
	}
	if err != nil {
		return err
	}
	x, err := d.l.DomainSaveImageGetXMLDesc(d.path(saveName(standby, tag)), 0)
	var dom libvirtxml.Domain
	if err == nil && dom.Unmarshal(x) == nil && dom.Name == standby {
		return nil
	}
	if err := d.deleteVolume(saveName(standby, tag)); err != nil {
		return err
	}
	return d.copySave(owner, standby, tag)
}

// TakeOver hands name's SSH port forward to the paused standby, brings its
// lab links up and resumes it. name is paused first, so that it stops taking CPU from the standby.
// A take-over that fails half-way is undone: name runs with its forward.
func (d *Driver) TakeOver(ctx context.Context, name, standby string, sshPort int) error {
	sb, err := d.l.DomainLookupByName(standby)
	if err != nil {
		return fmt.Errorf("standby of vm %s: %w", name, translate(err))
	}
	if st, _ := d.State(ctx, standby); st != vm.StatePaused {
		return fmt.Errorf("standby %s of vm %s is %s, not paused: %w", standby, name, st, vm.ErrNotFound)
	}
	rule := fmt.Sprintf("tcp:127.0.0.1:%d", sshPort)
	old, oerr := d.l.DomainLookupByName(name)
	oldState := vm.StateAbsent
	if oerr == nil {
		oldState, _ = d.State(ctx, name)
	}
	if oldState == vm.StateRunning {
		if err := translate(d.l.DomainSuspend(old)); err != nil {
			return fmt.Errorf("pause vm %s: %w", name, err)
		}
	}
	undo := func() {
		if oldState == vm.StateRunning || oldState == vm.StatePaused {
			d.monitor(old, "hostfwd_add "+netdevSSH+" "+rule+"-:22")
		}
		if oldState == vm.StateRunning {
			d.l.DomainResume(old)
		}
	}
	if oldState == vm.StateRunning || oldState == vm.StatePaused {
		// A missing rule is fine: nothing else removes it, and the add
		// below says whether the port is free.
		d.monitor(old, "hostfwd_remove "+netdevSSH+" "+rule)
	}
	out, err := d.monitor(sb, "hostfwd_add "+netdevSSH+" "+rule+"-:22")
	if err == nil && strings.TrimSpace(out) != "" {
		err = errors.New(strings.TrimSpace(out))
	}
	if err != nil {
		undo()
		return fmt.Errorf("vm %s: move SSH port %d to its standby: %w: %v", name, sshPort, vm.ErrPortInUse, err)
	}
	// A standby's lab links are down and, once warmed, on another bridge
	// (Warm): back and up before it runs as the VM.
	// Two updates, not one: changing an interface's network and its link
	// in one libvirt update left the lab network half working (tried:
	// 36-92% of the observed lab's requests failed after resets).
	err = d.unpark(ctx, sb, standby)
	if err == nil {
		err = d.setLinks(sb, "up")
	}
	if err == nil {
		err = translate(d.l.DomainResume(sb))
	}
	if err != nil {
		d.monitor(sb, "hostfwd_remove "+netdevSSH+" "+rule)
		undo()
		return fmt.Errorf("resume standby %s of vm %s: %w", standby, name, err)
	}
	// The lab networks' bridges learnt the guest's MAC addresses on the
	// ports of the domain it replaced: tell them where they are now.
	d.l.QEMUDomainMonitorCommand(sb, `{"execute":"announce-self","arguments":{"initial":50,"max":550,"rounds":3,"step":100}}`, 0)
	return nil
}

// PowerOff forces the VM off, keeping its volumes.
func (d *Driver) PowerOff(ctx context.Context, name string) error {
	dom, err := d.l.DomainLookupByName(name)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	return d.forceOff(dom)
}

// monitor runs a human monitor command in the domain's QEMU and returns
// what it printed; HMP is the only interface to user-mode port forwards.
func (d *Driver) monitor(dom golibvirt.Domain, cmd string) (string, error) {
	const hmp = 1 // VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP
	out, err := d.l.QEMUDomainMonitorCommand(dom, cmd, hmp)
	if err != nil {
		return "", fmt.Errorf("qemu monitor %q: %w", cmd, translate(err))
	}
	return out, nil
}

// copySave makes standby's save file for tag from owner's: the same bytes
// with the domain recorded in its header renamed to standby, under a new
// UUID and with its own console log. Everything goes through the storage
// pool, so it works on a remote host too.
func (d *Driver) copySave(owner, standby, tag string) error {
	src, err := d.lookup(saveName(owner, tag))
	if err != nil {
		return fmt.Errorf("vm %s has no saved state %q: %w", owner, tag, err)
	}
	head, err := d.volHead(src)
	if err != nil {
		return fmt.Errorf("saved state %q of vm %s: %w", tag, owner, err)
	}
	newHead, err := renameSave(head, owner, standby, newUUID())
	if err != nil {
		return fmt.Errorf("saved state %q of vm %s: %w", tag, owner, err)
	}
	if err := d.cloneSave(src, saveName(standby, tag), newHead); err != nil {
		return fmt.Errorf("saved state %q of vm %s as %s: %w", tag, owner, standby, err)
	}
	return nil
}

// volHead reads the header and data (domain XML, cookie) of save file
// vol, through libvirtd's streams on a remote host.
func (d *Driver) volHead(vol golibvirt.StorageVol) ([]byte, error) {
	head, err := d.readVol(vol, 0, saveHeaderLen)
	if err != nil {
		return nil, err
	}
	h, err := parseSaveHeader(head)
	if err != nil {
		return nil, err
	}
	data, err := d.readVol(vol, saveHeaderLen, uint64(h.dataLen))
	if err != nil {
		return nil, err
	}
	return append(head, data...), nil
}

// cloneSave copies save file src to a new volume name (through libvirtd,
// which copies it on its host) and writes head over its start.
func (d *Driver) cloneSave(src golibvirt.StorageVol, name string, head []byte) error {
	dst, err := d.cloneVolume(src, name, "raw")
	if err != nil {
		return err
	}
	if err := d.writeVolHead(dst, head); err != nil {
		d.deleteVolume(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// libvirt's QEMU save file starts with a fixed header (qemu_saveimage.h:
// magic, then little-endian uint32 version, data length, was-running,
// format, cookie offset and 14 unused), then data: the domain XML and a
// cookie, each NUL-terminated, zero-padded to the data length. QEMU's
// migration stream follows.
const (
	saveMagic     = "LibvirtQemudSave"
	saveHeaderLen = 16 + 4*5 + 4*14
)

type saveHeader struct {
	dataLen, cookieOffset uint32
}

func parseSaveHeader(b []byte) (saveHeader, error) {
	if len(b) < saveHeaderLen || string(b[:16]) != saveMagic {
		return saveHeader{}, errors.New("not a complete libvirt QEMU save file")
	}
	if v := binary.LittleEndian.Uint32(b[16:]); v != 2 {
		return saveHeader{}, fmt.Errorf("libvirt save file version %d, vlab knows 2", v)
	}
	return saveHeader{dataLen: binary.LittleEndian.Uint32(b[20:]), cookieOffset: binary.LittleEndian.Uint32(b[32:])}, nil
}

var (
	nameElem = regexp.MustCompile(`<name>[^<]*</name>`)
	uuidElem = regexp.MustCompile(`<uuid>[^<]*</uuid>`)
)

// renameSave returns header and data of a save file (b) with the recorded
// domain renamed from owner to standby, given uuid, and its console log
// renamed likewise. The data keeps its length, so QEMU's stream after it
// stays where it was.
func renameSave(b []byte, owner, standby, uuid string) ([]byte, error) {
	x, cookie, err := splitSave(b)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(x, "<name>"+owner+"</name>") {
		return nil, fmt.Errorf("save file is of another domain than %s", owner)
	}
	x = replaceFirst(x, nameElem, "<name>"+standby+"</name>")
	x = replaceFirst(x, uuidElem, "<uuid>"+uuid+"</uuid>")
	x = strings.ReplaceAll(x, "/"+owner+".console'", "/"+standby+".console'")
	out, err := joinSave(b, x, cookie)
	if err != nil {
		return nil, fmt.Errorf("renamed domain XML: %w", err)
	}
	return out, nil
}

// replaceFirst replaces re's first match in s: the domain's own name and
// UUID come before any device's.
func replaceFirst(s string, re *regexp.Regexp, with string) string {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + with + s[loc[1]:]
}

// DomainUUID is the UUID of the named domain.
func (d *Driver) DomainUUID(ctx context.Context, name string) (string, error) {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return "", fmt.Errorf("vm %s: %w", name, translate(err))
	}
	u := dom.UUID
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[:4], u[4:6], u[6:8], u[8:10], u[10:]), nil
}
