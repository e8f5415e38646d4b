package classroom

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// UpOptions tune Up.
type UpOptions struct {
	Trainees []Trainee
	// Force skips the capacity check.
	Force bool
	// BootTimeout bounds the wait for a guest's SSH; 0 is the manager's.
	BootTimeout time.Duration
	// Host reads the host's memory; nil reads /proc/meminfo and
	// /sys/kernel/mm/ksm.
	Host func() (HostMemory, error)
	// Hosts are the libvirt URIs of the lab servers to spread the new
	// instances over (Place); empty puts them all on Settings.Connect.
	Hosts []string
}

// Up brings up an instance of lab for each trainee not yet up. The first
// on each host goes up before the others there (it provisions, unless the
// host keeps the lab's golden state), then the others adopt its golden
// state, Parallel at a time (times the hosts). One
// trainee's failure does not stop the others; it is in the error at the
// end. A room that does not fit in the host's memory is refused before
// anything starts.
func (c *Class) Up(ctx context.Context, lab *labfile.Lab, opt UpOptions) error {
	todo, up, err := c.notUp(lab.Name, opt.Trainees)
	if err != nil {
		return err
	}
	for _, t := range up {
		c.line(result{t: t, msg: t.Instance + " is already up (`vlab class reset` starts it over)"})
	}
	var where map[string]string // trainee → host, with Hosts
	switch {
	case len(todo) == 0:
	case len(opt.Hosts) > 0:
		if where, err = c.place(ctx, lab, todo, opt.Hosts, opt.Force); err != nil {
			return err
		}
	case !opt.Force && !libvirt.IsRemote(c.Settings.Connect):
		if err := c.checkRoom(lab, len(todo), opt.Host); err != nil {
			return err
		}
	}
	// Recorded first: a class cut short is still known to later verbs.
	if err := updateRoster(ctx, c.Settings.Home, lab.Name, func(r *Roster) { r.add(opt.Trainees) }); err != nil {
		return err
	}
	upOne := func(progress bool) func(context.Context, Trainee) (string, error) {
		return func(ctx context.Context, t Trainee) (string, error) {
			return c.upOne(ctx, lab, t, where[t.Name], progress, opt.BootTimeout)
		}
	}
	var rs []result
	// One at a time on each host until one is up there: it leaves the
	// golden state the others on that host adopt, instead of each
	// provisioning. The hosts' first instances go up side by side.
	groups, rest := byHost(todo, where), []Trainee(nil)
	for len(groups) > 0 && ctx.Err() == nil {
		firsts := make([]Trainee, len(groups))
		for i, g := range groups {
			firsts[i] = g[0]
		}
		r := c.each(ctx, firsts, len(firsts), upOne(true))
		rs = append(rs, r...)
		var left [][]Trainee
		for i, g := range groups {
			switch {
			case r[i].err == nil:
				rest = append(rest, g[1:]...)
			case len(g) > 1:
				left = append(left, g[1:])
			}
		}
		groups = left
	}
	rs = append(rs, c.each(ctx, rest, c.parallel(len(lab.VMs))*max(1, len(opt.Hosts)), upOne(false))...)
	return failed("up", lab.Name, rs)
}

// byHost groups trainees by the host where places them, in the order
// each host first appears; one group when where is nil.
func byHost(ts []Trainee, where map[string]string) [][]Trainee {
	var groups [][]Trainee
	index := map[string]int{}
	for _, t := range ts {
		h := where[t.Name]
		i, ok := index[h]
		if !ok {
			i = len(groups)
			index[h] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], t)
	}
	return groups
}

// notUp splits trainees into those whose instance of lab is still to
// bring up and those whose instance is up already (an up would start it
// over). An instance of another lab under the name is left to Up, which
// refuses it.
func (c *Class) notUp(lab string, ts []Trainee) (todo, up []Trainee, err error) {
	for _, t := range ts {
		dir, err := c.Settings.Home.Instance(t.Instance)
		if err != nil {
			return nil, nil, err
		}
		st, err := instance.LoadState(dir)
		if err == nil && st.Phase == instance.PhaseReady && st.Lab == lab {
			up = append(up, t)
			continue
		}
		todo = append(todo, t)
	}
	return todo, up, nil
}

// upOne brings up trainee t's instance, on host when one is named, and
// starts their first attempt; progress shows its steps.
func (c *Class) upOne(ctx context.Context, lab *labfile.Lab, t Trainee, host string, progress bool, boot time.Duration) (string, error) {
	start := time.Now()
	out := c.Settings.Verbose
	if progress {
		out = c.Settings.Progress
	}
	s := c.settingsFor(t, out)
	on := ""
	if host != "" {
		s.Connect, s.ConnectSet = host, true
		on = " on " + HostLabel(host)
	}
	m := s.ManagerFor(t.Instance)
	defer m.Close()
	if boot > 0 {
		m.BootTimeout = boot
	}
	p, err := s.Provisioner(t.Instance)
	if err != nil {
		return "", err
	}
	if _, err := incident.Up(ctx, m, lab, instance.UpOptions{ID: t.Instance, Provisioner: p}); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s is up%s (%s)", t.Instance, on, elapsed(start)), nil
}

// checkRoom refuses n more instances of lab when the host's memory does
// not hold them.
func (c *Class) checkRoom(lab *labfile.Lab, n int, host func() (HostMemory, error)) error {
	if host == nil {
		host = func() (HostMemory, error) { return ReadHost("/proc/meminfo", "/sys/kernel/mm/ksm") }
	}
	h, err := host()
	if err != nil {
		return err
	}
	running, err := c.runningHere()
	if err != nil {
		return err
	}
	r := Room{Trainees: n, Standby: !c.Settings.NoStandby, AvailableMiB: h.AvailableMiB, KSMSavedMiB: h.KSMSavedMiB, Running: running}
	for _, v := range lab.VMs {
		r.VMMiB = append(r.VMMiB, v.Memory)
	}
	if msg := Plan(r).Refusal(r); msg != "" {
		return fmt.Errorf("%s (--force starts them anyway)", msg)
	}
	return nil
}

// runningHere counts the instances in VLAB_HOME up on this machine, those
// among which KSM's saving is measured.
func (c *Class) runningHere() (int, error) {
	ids, err := c.Settings.Home.IDs()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		dir, err := c.Settings.Home.Instance(id)
		if err != nil {
			return 0, err
		}
		st, err := instance.LoadState(dir)
		if errors.Is(err, instance.ErrNotFound) {
			continue
		}
		if err == nil && st.Phase == instance.PhaseReady && st.Connect == "" {
			n++
		}
	}
	return n, nil
}
