// Package labtest proves a lab on real VMs the way trainees will meet it:
// it starts broken, its reference solution fixes it, a reset breaks it
// again, every other valid fix in its tests/ passes and every cheat or
// workaround does not. `vlab test` runs it; CI runs it for every lab.
package labtest

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe"
	"github.com/vlab-dev/vlab/provision"
)

// Options tune Run.
type Options struct {
	// Manager runs the test's instance.
	Manager *instance.Manager
	// ID names the test's instance; see DefaultID.
	ID string
	// Provisioner provisions the lab when no golden state is cached.
	Provisioner instance.Provisioner
	// Keep leaves the instance up at the end, for a look inside.
	Keep bool
	// Settle is how long a step that should resolve (or mitigate) the
	// incident may take to show it: the check is run again every
	// SettleEvery until it says so or Settle has passed since the first
	// check after the step's work ended. A service restarted by a fix, or a client's window still
	// holding the last slow requests, settles within seconds on a laptop
	// and within tens of seconds on a loaded TCG host; a trainee would
	// check again too. A step that should leave the incident unresolved
	// is checked once. Zero means DefaultSettle; negative, check once.
	Settle, SettleEvery time.Duration
	// Progress gets a line per step as it ends; Verbose what guests print.
	Progress io.Writer
	Verbose  io.Writer
}

// Step is one judged step of the test.
type Step struct {
	Name string `json:"name"`
	// OK tells that the step held; Message says why not (one line).
	OK      bool    `json:"ok"`
	Message string  `json:"message,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Report is the outcome of a lab's test.
type Report struct {
	Lab      string  `json:"lab"`
	Instance string  `json:"instance"`
	Steps    []Step  `json:"steps"`
	Seconds  float64 `json:"seconds"`
}

// Passed tells whether every step held.
func (r *Report) Passed() bool {
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return len(r.Steps) > 0
}

// DefaultID is the instance a lab's test runs in: its own, so that a
// trainee's instance of the same lab on the host is left alone.
func DefaultID(lab string) string {
	id := "test-" + lab
	if len(id) > 40 {
		id = id[:40]
	}
	for id[len(id)-1] == '-' {
		id = id[:len(id)-1]
	}
	return id
}

// DefaultSettle and DefaultSettleEvery are Options.Settle's defaults:
// more checks, each after the probes' usual 5 s window has passed, for a
// minute. Under TCG with another lab's VMs on the same cores a check with
// sampled latencies takes ~15 s, and 30 s held only two of them: a fix
// failed on one slow page (expensive-search in CI, 2026-12-03). The extra
// time is spent only when a step that should resolve does not.
const (
	DefaultSettle      = 60 * time.Second
	DefaultSettleEvery = 6 * time.Second
)

// want is what a check must say after a step.
type want int

const (
	notResolved want = iota // the probes ran and not all passed
	resolved                // every probe passed
	notPassing              // anything but resolved: a cheat may also break the check's own footing
	mitigated               // users served (every probe but the cause probes passed), not resolved
)

func (w want) String() string {
	return [...]string{"not resolved", "resolved", "not resolved", "mitigated, not resolved"}[w]
}

// Run tests lab. Its error is for a test that could not go on (the lab
// does not come up, a reset fails); a step that does not hold is recorded
// in the report and the test goes on with the next.
func Run(ctx context.Context, lab *labfile.Lab, opt Options) (*Report, error) {
	if opt.ID == "" {
		opt.ID = DefaultID(lab.Name)
	}
	if opt.Settle == 0 {
		opt.Settle = DefaultSettle
	}
	if opt.SettleEvery <= 0 {
		opt.SettleEvery = DefaultSettleEvery
	}
	t := &run{opt: opt, lab: lab, r: &Report{Lab: lab.Name, Instance: opt.ID}, start: time.Now()}
	defer func() { t.r.Seconds = time.Since(t.start).Seconds() }()
	scripts, err := lab.TestScripts()
	if err != nil {
		return t.r, err
	}
	if err := t.up(ctx); err != nil {
		return t.r, err
	}
	if !opt.Keep {
		defer t.destroy()
	}
	t.check(ctx, "starts broken", notResolved)
	t.step(ctx, "reference solution", func() error {
		return t.inst.Solve(ctx, lab, io.Discard, opt.Verbose)
	}, resolved)
	if err := t.reset(ctx); err != nil {
		return t.r, err
	}
	t.check(ctx, "reset breaks it again", notResolved)
	for _, s := range scripts {
		if err := t.reset(ctx); err != nil {
			return t.r, err
		}
		w := resolved
		switch {
		case s.Kind == labfile.KindWorkaround && hasCauseProbe(lab):
			w = mitigated
		case s.Kind != labfile.KindFix:
			w = notPassing
		}
		t.step(ctx, fmt.Sprintf("%s %s", s.Kind, s.Name), func() error { return t.script(ctx, s) }, w)
	}
	return t.r, nil
}

// run is one test in progress.
type run struct {
	opt   Options
	lab   *labfile.Lab
	inst  *instance.Instance
	r     *Report
	start time.Time
}

// record adds a step to the report and prints its line. A step's name
// (a test script's) and its error (with a guest's last output line) come
// from the lab and its guests: they are kept safe for a terminal.
func (t *run) record(name string, start time.Time, err error) {
	s := Step{Name: termtext.Line(name), OK: err == nil, Seconds: time.Since(start).Seconds()}
	if err != nil {
		s.Message = termtext.Line(err.Error())
	}
	t.r.Steps = append(t.r.Steps, s)
	if t.opt.Progress != nil {
		mark := "ok  "
		if !s.OK {
			mark = "FAIL"
		}
		line := fmt.Sprintf("%s %s (%.0fs)", mark, s.Name, s.Seconds)
		if !s.OK {
			line += ": " + s.Message
		}
		fmt.Fprintln(t.opt.Progress, line)
	}
}

func (t *run) up(ctx context.Context) error {
	start := time.Now()
	inst, err := t.opt.Manager.Up(ctx, t.lab, instance.UpOptions{ID: t.opt.ID, Provisioner: t.opt.Provisioner})
	t.record("up", start, err)
	t.inst = inst
	return err
}

func (t *run) reset(ctx context.Context) error {
	start := time.Now()
	inst, err := t.opt.Manager.Reset(ctx, t.opt.ID)
	if err == nil {
		t.inst = inst
	} else {
		t.record("reset", start, err)
	}
	return err
}

func (t *run) destroy() {
	start := time.Now()
	// The test's context may be cancelled already: clean up regardless.
	err := t.opt.Manager.Destroy(context.Background(), t.opt.ID)
	t.record("destroy", start, err)
}

// step runs do, then a check that must say w.
func (t *run) step(ctx context.Context, name string, do func() error, w want) {
	start := time.Now()
	if err := do(); err != nil {
		t.record(name, start, err)
		return
	}
	t.record(name, start, t.judge(ctx, w))
}

// check is a step that only checks.
func (t *run) check(ctx context.Context, name string, w want) {
	start := time.Now()
	t.record(name, start, t.judge(ctx, w))
}

// judge runs the lab's probes and says whether they said w. A check that
// should say resolved or mitigated is run again until it does or
// Options.Settle has passed.
func (t *run) judge(ctx context.Context, w want) error {
	var settled time.Time // Settle after the first check's end
	for n := 1; ; n++ {
		err := t.judgeOnce(ctx, w)
		if n == 1 {
			settled = time.Now().Add(t.opt.Settle)
		}
		if err == nil || (w != resolved && w != mitigated) || !time.Now().Before(settled) {
			if err != nil && n > 1 {
				err = fmt.Errorf("%w (checked %d times over %s)", err, n, t.opt.Settle)
			}
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(t.opt.SettleEvery):
		}
	}
}

func (t *run) judgeOnce(ctx context.Context, w want) error {
	conns := t.inst.Conns()
	defer conns.Close()
	r := probe.Check(ctx, t.lab, conns.Dial)
	if err := r.Err(); err != nil {
		if w == notPassing {
			return nil
		}
		return fmt.Errorf("check could not run: %w", err)
	}
	if w == notPassing {
		w = notResolved
	}
	got := notResolved
	switch {
	case r.Resolved():
		got = resolved
	case w == mitigated && r.Mitigated():
		got = mitigated
	}
	if got != w {
		return fmt.Errorf("check says %s, want %s%s", got, w, failing(r))
	}
	return nil
}

// hasCauseProbe reports whether the lab tells mitigated from resolved.
func hasCauseProbe(lab *labfile.Lab) bool {
	for _, p := range lab.Probes {
		if p.Cause {
			return true
		}
	}
	return false
}

// failing names the probes that did not pass, for a check that should
// have said resolved.
func failing(r probe.Report) string {
	var out string
	for _, res := range r.Results {
		if res.Status != probe.Pass {
			out += fmt.Sprintf("; %s on %s: %s", res.Name, res.VM, res.Message)
		}
	}
	return out
}

// script runs each section of a test script on its VM, in order.
func (t *run) script(ctx context.Context, s labfile.TestScript) error {
	conns := t.inst.Conns()
	defer conns.Close()
	for _, sec := range s.Sections {
		r, err := conns.Dial(ctx, sec.VM)
		if err != nil {
			return err
		}
		if err := provision.RunScript(ctx, r, sec.Body, t.opt.Verbose); err != nil {
			return fmt.Errorf("%s on %s: %w", s.Name, sec.VM, err)
		}
	}
	return nil
}
