package classroom

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// TraineeStatus is how one trainee of a class is doing, from their
// instance's VMs and journal.
type TraineeStatus struct {
	Trainee  string `json:"trainee"`
	Instance string `json:"instance"`
	// State is that of the instance's VMs ("running", "shut off", ...;
	// several joined by "/" when they differ), "absent" when the instance
	// is gone, "unknown" when it could not be asked (see Error).
	State string `json:"state"`
	// Host is the libvirt URI of the lab server the instance runs on;
	// empty for this machine.
	Host string `json:"host,omitempty"`
	// Attempts counts the attempts; the others describe the current one.
	Attempts int       `json:"attempts"`
	Started  time.Time `json:"started,omitzero"`
	// Injects were revealed of InjectsTotal (0 when the lab is unknown).
	Injects      int `json:"injects"`
	InjectsTotal int `json:"injects_total"`
	Checks       int `json:"checks"`
	// LastCheck is the latest check's result; nil before any.
	LastCheck *Check `json:"last_check,omitempty"`
	// Mitigated and Resolved are when a check first found users served
	// and the incident resolved.
	Mitigated time.Time `json:"mitigated,omitzero"`
	Resolved  time.Time `json:"resolved,omitzero"`
	Error     string    `json:"error,omitempty"`
}

// Check is the result of one check: how many probes passed of how many.
type Check struct {
	Time     time.Time `json:"time"`
	Resolved bool      `json:"resolved"`
	Passed   int       `json:"passed"`
	Total    int       `json:"total"`
}

// Status reports every trainee of lab's class.
func (c *Class) Status(ctx context.Context, lab string) ([]TraineeStatus, error) {
	ts, err := c.trainees(lab, "")
	if err != nil {
		return nil, err
	}
	out := make([]TraineeStatus, len(ts))
	for i, t := range ts {
		out[i] = c.traineeStatus(ctx, t)
	}
	return out, nil
}

func (c *Class) traineeStatus(ctx context.Context, t Trainee) TraineeStatus {
	s := TraineeStatus{Trainee: t.Name, Instance: t.Instance}
	rows, err := c.Settings.Status(ctx, t.Instance)
	switch {
	case errors.Is(err, instance.ErrNotFound):
		s.State = "absent"
		return s
	case err != nil:
		s.State, s.Error = "unknown", err.Error()
	default:
		s.State = vmStates(rows)
		if len(rows) > 0 {
			s.Host = rows[0].Host
		}
	}
	dir, err := c.Settings.Home.Instance(t.Instance)
	if err == nil {
		err = s.fromJournal(dir)
	}
	if err != nil && s.Error == "" {
		s.Error = err.Error()
	}
	return s
}

// vmStates is the instance's state: its VMs', joined when they differ.
func vmStates(rows []instance.VMStatus) string {
	var states []string
	for _, r := range rows {
		if !slices.Contains(states, r.State) {
			states = append(states, r.State)
		}
	}
	if len(states) == 0 {
		return "no VMs"
	}
	return strings.Join(states, "/")
}

// fromJournal fills in the trainee's attempts from the journal in the
// instance's folder dir, and the number of injects from its lab.
func (s *TraineeStatus) fromJournal(dir string) error {
	if st, err := instance.LoadState(dir); err == nil {
		if lab, err := labfile.Load(filepath.Join(st.LabDir, labfile.FileName)); err == nil {
			s.InjectsTotal = len(lab.Injects)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, incident.JournalFile)); errors.Is(err, os.ErrNotExist) {
		return nil // no attempt yet
	}
	j, err := incident.Open(dir)
	if err != nil {
		return err
	}
	defer j.Close()
	as, err := j.Attempts()
	if err != nil || len(as) == 0 {
		return err
	}
	s.Attempts = len(as)
	a := as[len(as)-1]
	s.Started, s.Injects, s.Checks, s.Mitigated, s.Resolved = a.Started, len(a.Reveals), len(a.Checks), a.Mitigated, a.Resolved
	if len(a.Checks) > 0 {
		c := a.Checks[len(a.Checks)-1]
		s.LastCheck = &Check{Time: c.Time, Resolved: c.Resolved, Passed: c.Passed, Total: c.Total}
	}
	return nil
}

// WriteStatus writes the class's table, times relative to now, and to
// problems a line for each trainee whose instance could not be read.
func WriteStatus(out, problems io.Writer, rows []TraineeStatus, now time.Time) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	hosts := slices.ContainsFunc(rows, func(r TraineeStatus) bool { return r.Host != "" })
	head := "TRAINEE\tINSTANCE\tSTATE\tATTEMPTS\tSINCE\tINJECTS\tCHECKS\tLAST CHECK\tRESOLVED"
	if hosts {
		head += "\tHOST"
	}
	fmt.Fprintln(w, head)
	for _, r := range rows {
		since, injects, last, resolved := "-", fmt.Sprint(r.Injects), "-", "-"
		if !r.Started.IsZero() {
			since = incident.Short(now.Sub(r.Started).Round(time.Second))
		}
		if r.InjectsTotal > 0 {
			injects += fmt.Sprintf("/%d", r.InjectsTotal)
		}
		if c := r.LastCheck; c != nil {
			last = fmt.Sprintf("%d/%d passed, %s ago", c.Passed, c.Total, incident.Short(now.Sub(c.Time).Round(time.Second)))
		}
		if !r.Resolved.IsZero() {
			resolved = "after " + incident.Short(r.Resolved.Sub(r.Started).Round(time.Second))
		}
		line := fmt.Sprintf("%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s", r.Trainee, r.Instance, r.State, r.Attempts, since, injects, r.Checks, last, resolved)
		if hosts {
			line += "\t" + HostLabel(r.Host)
		}
		fmt.Fprintln(w, line)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Error != "" {
			fmt.Fprintf(problems, "vlab: trainee %s (%s): %s\n", r.Trainee, r.Instance, termtext.Line(r.Error))
		}
	}
	return nil
}
