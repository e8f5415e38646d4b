package instance

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
)

// The host's golden store (vm.Golden): the first instance of a lab
// provisions and publishes each VM's golden state; a later instance of the
// same lab (same golden key) adopts them, each VM its own copy under its
// own names, networks and port, instead of provisioning again. An adopted
// guest still holds the first instance's SSH key, host key and random
// state, so the instance installs its own key, makes the guest a host key
// of its own and reseeds the kernel's random generator through the guest
// agent, then saves its own golden state: its resets return to a guest
// that is its own. (The machine-id stays the first instance's.)

// vmKey is the store's key of one VM of a lab's golden state.
func vmKey(key, vmName string) string { return key + "/" + vmName }

// publish puts the instance's golden state in the host's store; a failure
// costs later instances a provisioning, not this one anything.
func (m *Manager) publish(ctx context.Context, drv vm.Driver, inst *Instance) {
	g, ok := drv.(vm.Golden)
	if !ok || inst.State.Golden == nil {
		return
	}
	for _, n := range inst.State.VMNames() {
		if err := g.PublishGolden(ctx, owner(inst.State.VMs[n].Domain), inst.State.Golden.Tag, vmKey(inst.State.Golden.Key, n)); err != nil {
			m.progress("warning: the golden state of vm %s is not kept for other instances: %v", n, err)
			return
		}
	}
}

// adopt brings the instance up from the host's store when it holds every
// VM of the lab for key; false means it does not (or the driver keeps
// none), and the instance provisions.
func (m *Manager) adopt(ctx context.Context, drv vm.Driver, inst *Instance, lab *labfile.Lab, imgs map[string]*images.Image, key string) (bool, error) {
	g, ok := drv.(vm.Golden)
	gr, ok2 := drv.(vm.GuestRunner)
	if !ok || !ok2 {
		return false, nil
	}
	stored, err := g.Goldens(ctx)
	if err != nil {
		return false, err
	}
	have := map[string]bool{}
	for _, s := range stored {
		have[s.Key] = true
	}
	for _, v := range lab.VMs {
		if !have[vmKey(key, v.Name)] {
			return false, nil
		}
	}
	start := time.Now()
	m.progress("starting %s from the host's golden state of lab %s", inst.State.ID, lab.Name)
	if err := m.adoptVMs(ctx, drv, g, inst, lab, imgs, key); err != nil {
		return false, err
	}
	for _, n := range inst.State.VMNames() {
		if err := m.restoreVM(ctx, drv, inst, n); err != nil {
			return false, err
		}
		if err := inst.makeOwn(ctx, gr, n); err != nil {
			return false, err
		}
	}
	if err := m.waitAll(ctx, drv, inst); err != nil {
		return false, err
	}
	if err := m.snapshot(ctx, drv, inst, key); err != nil {
		return false, err
	}
	m.progress("%s adopted the golden state in %.1fs", inst.State.ID, time.Since(start).Seconds())
	return true, nil
}

// adoptVMs makes each VM's saved state from the store's and records it.
func (m *Manager) adoptVMs(ctx context.Context, drv vm.Driver, g vm.Golden, inst *Instance, lab *labfile.Lab, imgs map[string]*images.Image, key string) error {
	accel, pubs, nics, err := m.prepare(ctx, drv, inst, lab)
	if err != nil {
		return err
	}
	for _, v := range lab.VMs {
		port, err := freePort()
		if err != nil {
			return err
		}
		spec := vmSpec(inst, v, imgs[v.Name], accel, pubs[v.Name], nics[v.Name], port)
		inst.State.VMs[v.Name] = &VMState{Domain: spec.Name, SSHPort: port, Image: imgs[v.Name].Name, Digest: imgs[v.Name].Digest, Observer: v.Observer, Triggers: runsTriggers(lab, v.Name)}
		if err := SaveState(inst.Dir, inst.State); err != nil {
			return err
		}
		if err := g.AdoptGolden(ctx, vmKey(key, v.Name), spec, goldenTag); err != nil {
			return err
		}
	}
	inst.State.Golden = &Golden{Key: key, Tag: goldenTag, Taken: time.Now().UTC()}
	inst.State.Phase = PhaseSnapshotting
	return SaveState(inst.Dir, inst.State)
}

// reseed mixes the bytes on its input into the kernel's input pool and
// has the kernel reseed its random generator from it at once
// (RNDRESEEDCRNG); perl is in every Debian system (perl-base is Essential).
const reseed = `open(my $f, ">", "/dev/urandom") or die "urandom: $!"; binmode STDIN; read(STDIN, my $b, 64) == 64 or die "short seed"; syswrite($f, $b) == 64 or die "write: $!"; ioctl($f, 0x5207, 0) or die "reseed: $!";`

// makeOwn installs the instance's SSH key in an adopted guest and gives
// it fresh randomness, through the guest agent (no login: the guest knows
// only the key of the instance it was saved from).
func (i *Instance) makeOwn(ctx context.Context, gr vm.GuestRunner, vmName string) error {
	dom := i.State.VMs[vmName].Domain
	b64, err := i.authorizedKey(vmName)
	if err != nil {
		return err
	}
	line, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return err
	}
	install := "umask 077; mkdir -p /root/.ssh && cat > /root/.ssh/authorized_keys.new && mv /root/.ssh/authorized_keys.new /root/.ssh/authorized_keys"
	if err := agentRun(ctx, gr, dom, []string{"/bin/sh", "-c", install}, line); err != nil {
		return fmt.Errorf("vm %s: install the instance's key: %w", vmName, err)
	}
	seed := make([]byte, 64)
	if _, err := rand.Read(seed); err != nil {
		return err
	}
	if err := agentRun(ctx, gr, dom, []string{"/usr/bin/perl", "-e", reseed}, seed); err != nil {
		return fmt.Errorf("vm %s: reseed its random generator: %w", vmName, err)
	}
	// Its own SSH host key too (the image's sshd has only an ed25519 one):
	// a trainee is root in their VM and would otherwise hold the host key
	// of every other clone. The instance pins the new key at first contact.
	// And its own machine ID (systemd, D-Bus and the journal name the
	// machine by it). journalctl reads only the journal folder named by
	// the current ID, and journald keeps writing in the old one, so the
	// new name links to the old folder: the trainee's journalctl still
	// shows the provisioning and everything after.
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	own := fmt.Sprintf(ownMachineID, id) + "; " + newHostKey
	if err := agentRun(ctx, gr, dom, []string{"/bin/sh", "-c", own}, nil); err != nil {
		return fmt.Errorf("vm %s: make its own SSH host key and machine ID: %w", vmName, err)
	}
	return nil
}

// ownMachineID (given the new ID in hex) writes the guest's machine ID and
// names its journal folders after it, in /var/log/journal (persistent, as
// Debian keeps it) and /run/log/journal (before the flush).
const ownMachineID = `old=$(cat /etc/machine-id); new=%x; printf '%%s\n' $new >/etc/machine-id; ` +
	`for d in /var/log/journal /run/log/journal; do if [ -d $d/$old ] && [ ! -e $d/$new ]; then ln -s $old $d/$new; fi; done`

// newHostKey replaces the guest's SSH host key and restarts sshd with it.
const newHostKey = "set -e; k=/etc/ssh/ssh_host_ed25519_key; rm -f $k $k.pub; ssh-keygen -q -t ed25519 -N '' -f $k; systemctl restart ssh"

// errNoAdopt starts the line Up prints when adopting failed half-way and
// it throws away what was made and provisions instead.
var errNoAdopt = errors.New("could not start from the host's golden state")

// Goldens lists the golden states the host keeps for later instances
// (none when the driver keeps none), most recently used first.
func (m *Manager) Goldens(ctx context.Context) ([]vm.GoldenInfo, error) {
	drv, err := m.driver(ctx)
	if err != nil {
		return nil, err
	}
	g, ok := drv.(vm.Golden)
	if !ok {
		return nil, nil
	}
	return g.Goldens(ctx)
}

// NoGoldenStore says why the host keeps no golden states, "" when it
// keeps them (or its driver has no such limit).
func (m *Manager) NoGoldenStore(ctx context.Context) string {
	drv, err := m.driver(ctx)
	if err != nil {
		return ""
	}
	if k, ok := drv.(vm.StoreKeeper); ok {
		return k.NoStore()
	}
	return ""
}

// RemoveGoldens removes the host's golden states of lab (every VM, every
// golden key); instances made from them keep working until destroyed. It
// returns how many it removed.
func (m *Manager) RemoveGoldens(ctx context.Context, lab string) (int, error) {
	list, err := m.Goldens(ctx)
	if err != nil || len(list) == 0 {
		return 0, err
	}
	g := m.drv.(vm.Golden)
	n := 0
	for _, e := range list {
		if e.Labels["lab"] != lab {
			continue
		}
		if err := g.RemoveGolden(ctx, e.Key); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// WriteGoldens draws the golden states as a table.
func WriteGoldens(w io.Writer, list []vm.GoldenInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LAB\tVM\tSIZE\tLAST USED\tFROM INSTANCE")
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d MB\t%s\t%s\n", e.Labels["lab"], e.Labels["vm"], e.Bytes>>20, e.Used.Local().Format(time.DateTime), e.Labels["instance"])
	}
	return tw.Flush()
}

// agentRun is GuestRun, tried again for up to a minute: a guest just
// restored under TCG, on a host busy with another instance's standby, may
// keep its agent from answering within one command's timeout (seen once in
// the classroom benchmark: that instance provisioned instead).
func agentRun(ctx context.Context, gr vm.GuestRunner, dom string, argv []string, stdin []byte) error {
	deadline := time.Now().Add(time.Minute)
	for {
		err := gr.GuestRun(ctx, dom, argv, stdin)
		if err == nil || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
