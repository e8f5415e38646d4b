package libvirt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// bridgeName derives a short, stable bridge name (at most 15 bytes).
func bridgeName(network string) string {
	h := sha256.Sum256([]byte(network))
	return "vl" + hex.EncodeToString(h[:5])
}

// EnsureNetwork starts an isolated network: a bridge with no forwarding and
// no address, so only the lab's VMs are on it. An existing network is
// joined only when it carries labels.
func (d *Driver) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	if n, err := d.l.NetworkLookupByName(name); err == nil {
		have, err := d.networkLabels(n)
		if err != nil {
			return err
		}
		if !vm.HasLabels(have, labels) {
			return fmt.Errorf("network %s exists and is not this instance's (its labels: %v): %w", name, have, vm.ErrExists)
		}
		return nil
	} else if !notFound(err) {
		return fmt.Errorf("network %s: %w", name, translate(err))
	}
	md, err := labelsXMLText(labels)
	if err != nil {
		return err
	}
	nx := libvirtxml.Network{Name: name, Metadata: &libvirtxml.NetworkMetadata{XML: md},
		Bridge: &libvirtxml.NetworkBridge{Name: bridgeName(name), STP: "off", Delay: "0"}}
	x, err := nx.Marshal()
	if err != nil {
		return err
	}
	if _, err := d.l.NetworkCreateXML(x); err != nil {
		return fmt.Errorf("create network %s: %w", name, translate(err))
	}
	return nil
}

// RemoveNetwork stops the network; it is transient, so that removes it.
func (d *Driver) RemoveNetwork(ctx context.Context, name string) error {
	n, err := d.l.NetworkLookupByName(name)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("network %s: %w", name, translate(err))
	}
	if err := translate(d.l.NetworkDestroy(n)); err != nil && !notFoundErr(err) {
		return fmt.Errorf("remove network %s: %w", name, err)
	}
	return nil
}
