package libvirt

import (
	"context"
	"errors"
	"fmt"
	"strings"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

var _ vm.Warmer = (*Driver)(nil)

// Warm runs the paused standby for visit with its lab links down and SSH
// on a port of its own, then pauses it again; TakeOver brings the links up.
//
// Links down are not enough: measured (the lab bridge's forwarding table
// polled every 20 ms), a restored standby's first run sends frames with
// the VM's MAC address although its links are down from QEMU's start
// (QEMU's announcement after a restore, then the guest's own), and the
// lab's bridge then sends the VM's traffic to the paused standby until the
// VM itself sends something: seconds for a server that only answers. So
// while it runs, the standby's lab interfaces are moved to a bridge of
// their own, with nothing else on it (parkName); TakeOver moves them back.
// Whatever happens, the standby is left paused and without the private
// forward (or, if pausing fails, the error says so and the next
// PrepareStandby or TakeOver refuses a standby that is not paused).
func (d *Driver) Warm(ctx context.Context, standby string, sshPort int, visit func(ctx context.Context) error) error {
	dom, err := d.l.DomainLookupByName(standby)
	if err != nil {
		return fmt.Errorf("standby %s: %w", standby, translate(err))
	}
	if st, _ := d.State(ctx, standby); st != vm.StatePaused {
		return fmt.Errorf("standby %s is %s, not paused: %w", standby, st, vm.ErrNotFound)
	}
	if err := d.setLinks(dom, "down"); err != nil {
		return fmt.Errorf("standby %s: lab links down: %w", standby, err)
	}
	if err := d.park(ctx, dom, standby); err != nil {
		return fmt.Errorf("standby %s: lab interfaces aside: %w", standby, err)
	}
	rule := fmt.Sprintf("tcp:127.0.0.1:%d", sshPort)
	out, err := d.monitor(dom, "hostfwd_add "+netdevSSH+" "+rule+"-:22")
	if err == nil && strings.TrimSpace(out) != "" {
		err = errors.New(strings.TrimSpace(out))
	}
	if err != nil {
		return fmt.Errorf("standby %s: forward port %d: %w: %v", standby, sshPort, vm.ErrPortInUse, err)
	}
	if err := translate(d.l.DomainResume(dom)); err != nil {
		d.monitor(dom, "hostfwd_remove "+netdevSSH+" "+rule)
		return fmt.Errorf("resume standby %s: %w", standby, err)
	}
	verr := visit(ctx)
	perr := translate(d.l.DomainSuspend(dom))
	d.monitor(dom, "hostfwd_remove "+netdevSSH+" "+rule)
	if perr != nil {
		return fmt.Errorf("pause standby %s after warming it: %w", standby, perr)
	}
	if verr != nil {
		return fmt.Errorf("warm standby %s: %w", standby, verr)
	}
	return nil
}

// setLinks sets the link state ("up" or "down") of every lab network
// interface of the running or paused domain that is not in it already,
// through libvirt, so that its live definition (and a state saved from it)
// says what the guest sees.
func (d *Driver) setLinks(dom golibvirt.Domain, state string) error {
	live, err := d.interfaces(dom, 0)
	if err != nil {
		return err
	}
	for _, ifc := range live {
		have := "up"
		if ifc.Link != nil && ifc.Link.State != "" {
			have = ifc.Link.State
		}
		if have == state {
			continue
		}
		ifc.Link = &libvirtxml.DomainInterfaceLink{State: state}
		if err := d.updateInterface(dom, ifc); err != nil {
			return err
		}
	}
	return nil
}

// parkName is the network where standby's lab interfaces wait while it
// is warmed: a bridge of its own (no address, no forwarding), carrying the
// standby's labels so that the instance's destroy finds it. Port isolation
// would do with one bridge for all, but libvirt keeps a port's isolation
// when it moves it to another bridge.
func parkName(standby string) string { return standby + "-park" }

// park moves the domain's lab network interfaces to parkName(name) (live
// only: its persistent definition keeps their networks).
func (d *Driver) park(ctx context.Context, dom golibvirt.Domain, name string) error {
	live, err := d.interfaces(dom, 0)
	if err != nil || len(live) == 0 {
		return err
	}
	labels, err := d.VMLabels(ctx, name)
	if err != nil {
		return err
	}
	park := parkName(name)
	if err := d.EnsureNetwork(ctx, park, labels); err != nil {
		return err
	}
	for _, ifc := range live {
		if ifc.Source == nil || ifc.Source.Network == nil || ifc.Source.Network.Network == park {
			continue
		}
		ifc.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: park}}
		if err := d.updateInterface(dom, ifc); err != nil {
			return err
		}
	}
	return nil
}

// unpark moves the domain's parked interfaces back to the networks of its
// persistent definition (matched by MAC address). The park stays for the
// domain's next warm-up (removing it took 0.5 s of a take-over); the
// instance's destroy removes it with its other networks (its labels).
func (d *Driver) unpark(ctx context.Context, dom golibvirt.Domain, name string) error {
	live, err := d.interfaces(dom, 0)
	if err != nil {
		return err
	}
	park := parkName(name)
	var persistent []libvirtxml.DomainInterface
	for _, ifc := range live {
		if ifc.Source == nil || ifc.Source.Network == nil || ifc.Source.Network.Network != park {
			continue
		}
		if persistent == nil {
			if persistent, err = d.interfaces(dom, golibvirt.DomainXMLInactive); err != nil {
				return err
			}
		}
		var to string
		for _, p := range persistent {
			if p.MAC != nil && ifc.MAC != nil && p.MAC.Address == ifc.MAC.Address && p.Source != nil && p.Source.Network != nil {
				to = p.Source.Network.Network
			}
		}
		if to == "" {
			return fmt.Errorf("parked interface %v: no network in the persistent definition", ifc.MAC)
		}
		ifc.Source = &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: to}}
		if err := d.updateInterface(dom, ifc); err != nil {
			return err
		}
	}
	return nil
}

// interfaces lists the domain's network interfaces, live or persistent.
func (d *Driver) interfaces(dom golibvirt.Domain, flags golibvirt.DomainXMLFlags) ([]libvirtxml.DomainInterface, error) {
	x, err := d.l.DomainGetXMLDesc(dom, flags)
	if err != nil {
		return nil, translate(err)
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(x); err != nil {
		return nil, err
	}
	if def.Devices == nil {
		return nil, nil
	}
	return def.Devices.Interfaces, nil
}

// updateInterface applies ifc to the running or paused domain.
func (d *Driver) updateInterface(dom golibvirt.Domain, ifc libvirtxml.DomainInterface) error {
	ix, err := ifc.Marshal()
	if err != nil {
		return err
	}
	return translate(d.l.DomainUpdateDeviceFlags(dom, ix, golibvirt.DomainDeviceModifyLive))
}
