package libvirt

import (
	"context"
	"fmt"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"
)

// InternalSnapshot takes a libvirt internal snapshot (disk and memory inside
// the qcow2) named tag. vlab's own Snapshot is faster to restore; this one
// exists as the baseline the reset benchmark compares against.
func (d *Driver) InternalSnapshot(ctx context.Context, name, tag string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	if s, err := d.l.DomainSnapshotLookupByName(dom, tag, 0); err == nil {
		d.l.DomainSnapshotDelete(s, 0)
	}
	x, err := (&libvirtxml.DomainSnapshot{Name: tag}).Marshal()
	if err != nil {
		return err
	}
	if _, err := d.l.DomainSnapshotCreateXML(dom, x, 0); err != nil {
		return fmt.Errorf("internal snapshot of vm %s: %w", name, translate(err))
	}
	return nil
}

// RevertInternal reverts to an internal snapshot and leaves the VM running.
func (d *Driver) RevertInternal(ctx context.Context, name, tag string) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	s, err := d.l.DomainSnapshotLookupByName(dom, tag, 0)
	if err != nil {
		return fmt.Errorf("vm %s snapshot %q: %w", name, tag, translate(err))
	}
	if err := d.l.DomainRevertToSnapshot(s, uint32(golibvirt.DomainSnapshotRevertRunning)); err != nil {
		return fmt.Errorf("revert vm %s to %q: %w", name, tag, translate(err))
	}
	return nil
}

// deleteInternalSnapshots drops snapshot metadata so undefine succeeds; the
// data goes with the overlay.
func (d *Driver) deleteInternalSnapshots(dom golibvirt.Domain) {
	for _, tag := range []string{"vlab-bench"} {
		if s, err := d.l.DomainSnapshotLookupByName(dom, tag, 0); err == nil {
			d.l.DomainSnapshotDelete(s, golibvirt.DomainSnapshotDeleteMetadataOnly)
		}
	}
}
