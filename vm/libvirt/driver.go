package libvirt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// Create uploads the base image if needed, makes an overlay, defines the
// domain and starts it.
func (d *Driver) Create(ctx context.Context, spec vm.Spec) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	if _, err := d.l.DomainLookupByName(spec.Name); err == nil {
		return fmt.Errorf("vm %s: %w", spec.Name, vm.ErrExists)
	}
	base, err := d.ensureImage(ctx, spec.Image)
	if err != nil {
		return fmt.Errorf("vm %s: base image %s: %w", spec.Name, spec.Image.Name, err)
	}
	size, err := virtualSize(spec.Image.Disk)
	if err != nil {
		return err
	}
	if spec.DiskBytes > 0 && spec.DiskBytes < size {
		return fmt.Errorf("vm %s: a disk of %d MiB is smaller than image %s's %d MiB", spec.Name, spec.DiskBytes>>20, spec.Image.Name, size>>20)
	}
	size = max(size, spec.DiskBytes)
	overlay := overlayName(spec.Name)
	if err := d.createVolume(overlay, "qcow2", size, base.disk); err != nil {
		return fmt.Errorf("vm %s: %w", spec.Name, err)
	}
	f := files{disk: d.path(overlay), console: d.path(spec.Name + ".console")}
	if spec.Image.Kernel != "" {
		f.kernel, f.initrd = d.path(base.kernel), d.path(base.initrd)
	}
	x, err := domainXML(spec, f)
	if err != nil {
		return err
	}
	dom, err := d.l.DomainDefineXMLFlags(x, 0)
	if err != nil {
		d.deleteVolume(overlay)
		return fmt.Errorf("define vm %s: %w", spec.Name, translate(err))
	}
	if _, err := d.l.DomainCreateWithFlags(dom, 0); err != nil {
		return fmt.Errorf("start vm %s: %w", spec.Name, startError(err))
	}
	return nil
}

// startError recognises a taken SSH port in QEMU's start failure.
func startError(err error) error {
	err = translate(err)
	if strings.Contains(err.Error(), "hostfwd") || strings.Contains(err.Error(), "host forwarding rule") {
		return fmt.Errorf("%w: %v", vm.ErrPortInUse, err)
	}
	return err
}

func overlayName(vmName string) string {
	var b [4]byte
	rand.Read(b[:])
	return vmName + ".run-" + hex.EncodeToString(b[:]) + ".qcow2"
}

// Start boots a stopped VM.
func (d *Driver) Start(ctx context.Context, name string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	if st, _ := d.State(ctx, name); st == vm.StateRunning {
		return nil
	}
	if _, err := d.l.DomainCreateWithFlags(dom, 0); err != nil {
		return fmt.Errorf("start vm %s: %w", name, startError(err))
	}
	return nil
}

// Stop asks the guest to power off (ACPI) and forces it off when it has not
// within the context's deadline or 30 s.
func (d *Driver) Stop(ctx context.Context, name string) error {
	dom, err := d.l.DomainLookupByName(name)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return translate(err)
	}
	if st, _ := d.State(ctx, name); st != vm.StateRunning && st != vm.StatePaused {
		return nil
	}
	d.l.DomainShutdownFlags(dom, golibvirt.DomainShutdownAcpiPowerBtn)
	deadline := time.Now().Add(30 * time.Second)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl.Add(-time.Second)
	}
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if st, _ := d.State(ctx, name); st == vm.StateStopped || st == vm.StateAbsent {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return d.forceOff(dom)
}

func (d *Driver) forceOff(dom golibvirt.Domain) error {
	err := translate(d.l.DomainDestroyFlags(dom, 0))
	if err != nil && !notFoundErr(err) && !strings.Contains(err.Error(), "not running") {
		return fmt.Errorf("force off vm %s: %w", dom.Name, err)
	}
	return nil
}

// Destroy removes the domain and every volume it owns.
func (d *Driver) Destroy(ctx context.Context, name string) error {
	dom, err := d.l.DomainLookupByName(name)
	switch {
	case notFound(err):
	case err != nil:
		return fmt.Errorf("vm %s: %w", name, translate(err))
	default:
		if err := d.forceOff(dom); err != nil {
			return err
		}
		d.deleteInternalSnapshots(dom)
		flags := golibvirt.DomainUndefineManagedSave | golibvirt.DomainUndefineSnapshotsMetadata | golibvirt.DomainUndefineNvram
		if err := translate(d.l.DomainUndefineFlags(dom, flags)); err != nil && !notFoundErr(err) {
			return fmt.Errorf("undefine vm %s: %w", name, err)
		}
	}
	vols, err := d.volumes(name + ".")
	if err != nil {
		return err
	}
	for _, v := range vols {
		if err := d.deleteVolume(v); err != nil {
			return err
		}
	}
	return nil
}

// State reports the domain's run state.
func (d *Driver) State(ctx context.Context, name string) (vm.State, error) {
	dom, err := d.l.DomainLookupByName(name)
	if notFound(err) {
		return vm.StateAbsent, nil
	}
	if err != nil {
		return vm.StateOther, translate(err)
	}
	st, _, err := d.l.DomainGetState(dom, 0)
	if notFound(err) {
		return vm.StateAbsent, nil
	}
	if err != nil {
		return vm.StateOther, translate(err)
	}
	switch golibvirt.DomainState(st) {
	case golibvirt.DomainRunning, golibvirt.DomainBlocked:
		return vm.StateRunning, nil
	case golibvirt.DomainPaused, golibvirt.DomainPmsuspended:
		return vm.StatePaused, nil
	case golibvirt.DomainShutoff, golibvirt.DomainCrashed:
		return vm.StateStopped, nil
	}
	// DomainShutdown is a guest on its way down: QEMU still runs, and a
	// start now fails. It is not stopped yet.
	return vm.StateOther, nil
}

// ConsoleTail returns the last n lines of the VM's serial console log.
func (d *Driver) ConsoleTail(ctx context.Context, name string, n int) (string, error) {
	v, err := d.lookup(name + ".console")
	if err != nil {
		return "", fmt.Errorf("console log of vm %s: %w", name, err)
	}
	_, size, _, err := d.l.StorageVolGetInfo(v)
	if err != nil {
		return "", translate(err)
	}
	if d.files != nil {
		if fi, err := d.files.Stat(d.path(v.Name)); err == nil {
			size = uint64(fi.Size()) // libvirt's figure waits for a pool refresh
		}
	}
	var off uint64
	if size > 64<<10 {
		off = size - 64<<10
	}
	buf, err := d.readVol(v, off, size-off)
	if err != nil {
		return "", fmt.Errorf("read console log of vm %s: %w", name, err)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(buf), "\r", ""), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n"), nil
}

func saveName(name, tag string) string { return name + "." + tag + ".save" }

// Snapshot saves the VM's memory to a file in the pool; the disk it ran on
// becomes the tag's frozen disk, and the VM goes on from a fresh overlay.
func (d *Driver) Snapshot(ctx context.Context, name, tag string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	// The old tag's frozen disk stays: the disk the VM runs on now is an
	// overlay of it (Snapshot and Restore run the VM on one), so it is in
	// the backing chain of the new frozen disk. Destroy removes it.
	if err := d.deleteVolume(saveName(name, tag)); err != nil {
		return err
	}
	dxml, err := d.savedDefinition(dom)
	if err != nil {
		return fmt.Errorf("save vm %s as %q: %w", name, tag, err)
	}
	if err := d.l.DomainSaveFlags(dom, d.path(saveName(name, tag)), dxml, uint32(golibvirt.DomainSaveRunning)); err != nil {
		return fmt.Errorf("save vm %s as %q: %w", name, tag, translate(err))
	}
	return d.Restore(ctx, name, tag)
}

// savedDisk returns the disk path recorded in a save file.
func (d *Driver) savedDisk(name, tag string) (string, error) {
	if _, err := d.lookup(saveName(name, tag)); err != nil {
		return "", fmt.Errorf("vm %s has no saved state %q: %w", name, tag, err)
	}
	x, err := d.l.DomainSaveImageGetXMLDesc(d.path(saveName(name, tag)), 0)
	if err != nil {
		return "", fmt.Errorf("read saved state %q of vm %s: %w", tag, name, translate(err))
	}
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return "", err
	}
	return diskOf(&dom), nil
}

// Restore throws away the VM's current disk and memory and resumes it from
// tag on a fresh overlay of the tag's frozen disk. The new overlay is made
// while the old VM still runs, so the VM is down only for QEMU's exit and
// the memory load.
func (d *Driver) Restore(ctx context.Context, name, tag string) error {
	return d.restore(ctx, name, tag, false, 0)
}

// RestoreOnPort is Restore with the SSH forward moved to port: the saved
// state's own port was taken since it was saved.
func (d *Driver) RestoreOnPort(ctx context.Context, name, tag string, port int) error {
	return d.restore(ctx, name, tag, false, port)
}

// restore is Restore; a standby is restored paused and without its SSH
// port forward (its persistent definition keeps it). A port other than 0
// replaces the saved forward's port.
func (d *Driver) restore(ctx context.Context, name, tag string, standby bool, port int) error {
	save := d.path(saveName(name, tag))
	if _, err := d.lookup(saveName(name, tag)); err != nil {
		return fmt.Errorf("vm %s has no saved state %q: %w", name, tag, vm.ErrNotFound)
	}
	x, err := d.l.DomainSaveImageGetXMLDesc(save, 0)
	if err != nil {
		return fmt.Errorf("read saved state %q of vm %s: %w", tag, name, translate(err))
	}
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		return err
	}
	golden := diskOf(&dom)
	gv, err := d.lookup(filepath.Base(golden))
	if err != nil {
		return fmt.Errorf("frozen disk of saved state %q of vm %s: %w", tag, name, err)
	}
	_, size, _, err := d.l.StorageVolGetInfo(gv)
	if err != nil {
		return translate(err)
	}
	overlay := overlayName(name)
	if err := d.createVolume(overlay, "qcow2", size, filepath.Base(golden)); err != nil {
		return err
	}
	setDisk(&dom, d.path(overlay))
	if port != 0 {
		setForwardPort(&dom, port)
	}
	nx, err := dom.Marshal()
	if err != nil {
		d.deleteVolume(overlay)
		return err
	}
	live, flags := nx, golibvirt.DomainSaveRunning
	if standby {
		if live, err = withLinksDown(withoutForward(&dom)).Marshal(); err != nil {
			d.deleteVolume(overlay)
			return err
		}
		flags = golibvirt.DomainSavePaused
	}
	current := ""
	if cur, err := d.l.DomainLookupByName(name); err == nil {
		if cx, err := d.l.DomainGetXMLDesc(cur, golibvirt.DomainXMLInactive); err == nil {
			var cd libvirtxml.Domain
			if cd.Unmarshal(cx) == nil {
				current = diskOf(&cd)
			}
		}
		if err := d.forceOff(cur); err != nil {
			d.deleteVolume(overlay)
			return err
		}
	}
	if _, err := d.l.DomainDefineXMLFlags(nx, 0); err != nil {
		d.deleteVolume(overlay)
		return fmt.Errorf("redefine vm %s: %w", name, translate(err))
	}
	if err := d.l.DomainRestoreFlags(save, golibvirt.OptString{live}, uint32(flags)); err != nil {
		return fmt.Errorf("restore vm %s to %q: %w", name, tag, startError(err))
	}
	if current != "" && current != golden && !d.isFrozen(name, current) {
		d.deleteVolume(filepath.Base(current))
	}
	return nil
}

// isFrozen tells whether disk is the frozen disk of any saved state of vm.
func (d *Driver) isFrozen(name, disk string) bool {
	saves, _ := d.volumes(name + ".")
	for _, s := range saves {
		if !strings.HasSuffix(s, ".save") {
			continue
		}
		tag := strings.TrimSuffix(strings.TrimPrefix(s, name+"."), ".save")
		if g, err := d.savedDisk(name, tag); err == nil && g == disk {
			return true
		}
	}
	return false
}

// Pause freezes the VM's CPUs.
func (d *Driver) Pause(ctx context.Context, name string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	if st, _ := d.State(ctx, name); st == vm.StatePaused {
		return nil
	}
	return translate(d.l.DomainSuspend(dom))
}

// Resume thaws a paused VM.
func (d *Driver) Resume(ctx context.Context, name string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	if st, _ := d.State(ctx, name); st != vm.StatePaused {
		return nil
	}
	return translate(d.l.DomainResume(dom))
}
