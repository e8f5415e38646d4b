package classroom

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
)

// Reset returns trainee's instance of lab (every trainee's when trainee
// is empty) to the start of the incident and starts a new attempt, in
// parallel.
func (c *Class) Reset(ctx context.Context, lab, trainee string) error {
	ts, err := c.trainees(lab, trainee)
	if err != nil {
		return err
	}
	rs := c.each(ctx, ts, c.parallel(1), func(ctx context.Context, t Trainee) (string, error) {
		start := time.Now()
		if err := c.ofLab(lab, t); err != nil {
			return "", err
		}
		m := c.settingsFor(t, c.Settings.Verbose).ManagerFor(t.Instance)
		defer m.Close()
		if _, err := incident.Reset(ctx, m, t.Instance); err != nil {
			return "", err
		}
		return t.Instance + " is back at the start (" + elapsed(start) + ")", nil
	})
	return failed("reset", lab, rs)
}

// Down stops the VMs of every trainee's instance of lab, keeping them.
func (c *Class) Down(ctx context.Context, lab string) error {
	rs, err := c.onEvery(ctx, lab, "is down", func(ctx context.Context, m *instance.Manager, id string) error {
		return m.Down(ctx, id)
	})
	if err != nil {
		return err
	}
	return failed("down", lab, rs)
}

// onEvery runs do on every trainee's instance of lab, in parallel, each
// through the manager of its own driver and host; done is what a line
// says after the instance's name when do succeeded.
func (c *Class) onEvery(ctx context.Context, lab, done string, do func(context.Context, *instance.Manager, string) error) ([]result, error) {
	ts, err := c.trainees(lab, "")
	if err != nil {
		return nil, err
	}
	rs := c.each(ctx, ts, c.parallel(1), func(ctx context.Context, t Trainee) (string, error) {
		if err := c.ofLab(lab, t); err != nil {
			return "", err
		}
		m := c.settingsFor(t, c.Settings.Verbose).ManagerFor(t.Instance)
		defer m.Close()
		return t.Instance + " " + done, do(ctx, m, t.Instance)
	})
	return rs, nil
}

// Destroy removes every trainee's instance of lab, and the class once
// none is left; the host keeps the lab's golden state (`vlab golden rm`
// removes it).
func (c *Class) Destroy(ctx context.Context, lab string) error {
	rs, err := c.onEvery(ctx, lab, "destroyed", func(ctx context.Context, m *instance.Manager, id string) error {
		return m.Destroy(ctx, id)
	})
	if err != nil {
		return err
	}
	gone := map[Trainee]bool{}
	for _, r := range rs {
		gone[r.t] = r.err == nil
	}
	err = updateRoster(ctx, c.Settings.Home, lab, func(r *Roster) {
		var left []Trainee
		for _, t := range r.Trainees {
			if !gone[t] {
				left = append(left, t)
			}
		}
		r.Trainees = left
	})
	if ferr := failed("destroy", lab, rs); ferr != nil {
		return ferr
	}
	return err
}

// trainees are those of lab's class a verb acts on: all, or the one named.
func (c *Class) trainees(lab, name string) ([]Trainee, error) {
	r, err := LoadRoster(c.Settings.Home, lab)
	if err != nil {
		return nil, err
	}
	return r.pick(name)
}

// ofLab refuses to act on trainee t's instance when it runs another lab
// than the class's: "a" with trainee "b-c" and "a-b" with trainee "c"
// name the same instance, and a class must not destroy another's. An
// instance that is gone or does not read is left to the verb.
func (c *Class) ofLab(lab string, t Trainee) error {
	dir, err := c.Settings.Home.Instance(t.Instance)
	if err != nil {
		return err
	}
	if st, err := instance.LoadState(dir); err == nil && st.Lab != lab {
		return fmt.Errorf("instance %s runs lab %s, not %s: it is not this class's; remove the trainee from %s", t.Instance, st.Lab, lab, filepath.Join(c.Settings.Home.Dir, "classes", lab+".json"))
	}
	return nil
}
