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
	x, err := d.l.DomainGetXMLDesc(dom, 0)
	if err != nil {
		return translate(err)
	}
	var def libvirtxml.Domain
	if err := def.Unmarshal(x); err != nil {
		return err
	}
	for _, ifc := range def.Devices.Interfaces {
		have := "up"
		if ifc.Link != nil && ifc.Link.State != "" {
			have = ifc.Link.State
		}
		if have == state {
			continue
		}
		ifc.Link = &libvirtxml.DomainInterfaceLink{State: state}
		ix, err := ifc.Marshal()
		if err != nil {
			return err
		}
		if err := d.l.DomainUpdateDeviceFlags(dom, ix, golibvirt.DomainDeviceModifyLive); err != nil {
			return translate(err)
		}
	}
	return nil
}
