package vagrant

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/vlab-dev/vlab/vm"
)

var _ vm.Standby = (*Driver)(nil)

// Standbys act on the libvirt domains directly, as restores do. Vagrant
// knows a machine by its domain's UUID (.vagrant/machines/<machine>/
// libvirt/id): after a take-over that file names the standby, so that
// `vagrant status` and `vagrant ssh` follow the VM to the domain that now
// runs it.

func (d *Driver) standby() (vm.Standby, error) {
	sb, ok := d.Domains.(vm.Standby)
	if !ok {
		return nil, fmt.Errorf("no standbys through %T", d.Domains)
	}
	return sb, nil
}

// PrepareStandby restores owner's saved state into the standby domain.
func (d *Driver) PrepareStandby(ctx context.Context, owner, tag, standby string) error {
	sb, err := d.standby()
	if err != nil {
		return err
	}
	return sb.PrepareStandby(ctx, owner, tag, standby)
}

// PowerOff forces a domain off, keeping it.
func (d *Driver) PowerOff(ctx context.Context, name string) error {
	sb, err := d.standby()
	if err != nil {
		return err
	}
	return sb.PowerOff(ctx, name)
}

// TakeOver resumes the standby in name's place and points the Vagrant
// machine at it. The standby is recorded in the index as another domain
// of the machine, so that the next take-over finds the machine from it.
// Once libvirt has switched, the VM runs from the standby whatever Vagrant's
// records say: failing to update them does not fail the take-over (only
// `vagrant status` would show the old domain).
func (d *Driver) TakeOver(ctx context.Context, name, standby string, sshPort int) error {
	sb, err := d.standby()
	if err != nil {
		return err
	}
	e, err := d.lookup(name)
	if err != nil {
		return err
	}
	if err := sb.TakeOver(ctx, name, standby, sshPort); err != nil {
		return err
	}
	d.follow(ctx, e, standby)
	return nil
}

// follow points machine e at domain standby: Vagrant's id file and vlab's
// index. Best effort, see TakeOver.
func (d *Driver) follow(ctx context.Context, e entry, standby string) error {
	uuid, err := d.Domains.DomainUUID(ctx, standby)
	if err != nil {
		return err
	}
	idFile := machineIDFile(e)
	if err := os.MkdirAll(filepath.Dir(idFile), 0o755); err != nil {
		return err
	}
	if err := writeAtomic(idFile, []byte(uuid)); err != nil {
		return fmt.Errorf("point Vagrant machine %s at domain %s: %w", e.Machine, standby, err)
	}
	if _, err := d.lookup(standby); err == nil {
		return nil
	}
	e.Alias = true
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.opt.Index, 0o755); err != nil {
		return err
	}
	return writeAtomic(d.indexPath(standby), b)
}

// machineIDFile is where Vagrant keeps the UUID of a machine's domain.
func machineIDFile(e entry) string {
	return filepath.Join(e.Dir, ".vagrant", "machines", e.Machine, "libvirt", "id")
}

var _ vm.Warmer = (*Driver)(nil)

// Warm runs the standby domain privately for visit, as restores do on the
// libvirt domains directly; Vagrant's records do not change.
func (d *Driver) Warm(ctx context.Context, standby string, sshPort int, visit func(ctx context.Context) error) error {
	w, ok := d.Domains.(vm.Warmer)
	if !ok {
		return fmt.Errorf("no warm standbys through %T", d.Domains)
	}
	return w.Warm(ctx, standby, sshPort, visit)
}
