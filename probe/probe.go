// Package probe decides whether an incident is resolved: it runs a lab's
// probes in its VMs and compares what they show with what they expect.
package probe

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// Dialer connects to the lab VM called vm. Check calls it once per VM and
// shares the connection between that VM's probes; it does not close it, so
// the Dialer's owner decides how long connections live.
type Dialer func(ctx context.Context, vm string) (provision.Runner, error)

// Status is the outcome of one probe.
type Status string

const (
	// Pass means every sample met the expectation for the whole hold.
	Pass Status = "pass"
	// Fail means a sample ran and did not meet the expectation.
	Fail Status = "fail"
	// Error means the probe could not be run: VM unreachable, SSH failing,
	// command cut off, a tool a typed probe needs missing, an answer it
	// cannot read. It says nothing about the incident.
	Error Status = "error"
)

// DefaultTimeout bounds one run of a probe's command.
const DefaultTimeout = time.Minute

// Result is what one probe showed.
type Result struct {
	Name  string `json:"name"`
	VM    string `json:"vm"`
	Guard bool   `json:"guard,omitempty"`
	// Cause is set for a probe of the cause (it counts for resolved only).
	Cause bool `json:"cause,omitempty"`
	// Status is pass, fail or error.
	Status Status `json:"status"`
	// Observed is what the last sample showed: the number drawn from the
	// output, else its first line, else the exit status.
	Observed string `json:"observed,omitempty"`
	// Expected says what passes: "status 200", "exit 0, matches ^ok$".
	Expected string   `json:"expected,omitempty"`
	Value    *float64 `json:"value,omitempty"`
	Exit     *int     `json:"exit,omitempty"`
	// Message says why a probe failed or could not run, or how long it held.
	Message string `json:"message,omitempty"`
	// Samples counts the samples taken.
	Samples int     `json:"samples"`
	Seconds float64 `json:"seconds"`
}

// Report is the outcome of one check of a lab: a result per probe, in the
// order the lab lists them.
type Report struct {
	Lab     string    `json:"lab"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	// State is "resolved", "mitigated", "unresolved" or "error", as
	// Resolved, Mitigated and Err say.
	State   string   `json:"state"`
	Results []Result `json:"results"`
}

var errNoProbes = errors.New("the lab has no probes, so it cannot tell whether the incident is resolved")

// Resolved reports whether the lab has probes and every one passed.
func (r Report) Resolved() bool {
	for _, res := range r.Results {
		if res.Status != Pass {
			return false
		}
	}
	return len(r.Results) > 0
}

// Mitigated reports whether users are served again: every probe that is
// not a cause probe passed (guards included). Without cause probes it is
// Resolved.
func (r Report) Mitigated() bool {
	symptoms := 0
	for _, res := range r.Results {
		if res.Cause {
			continue
		}
		if res.Status != Pass {
			return false
		}
		if !res.Guard {
			symptoms++
		}
	}
	return symptoms > 0
}

// Err returns why the check could not decide, joining every probe that
// could not be run; nil when each probe passed or failed.
func (r Report) Err() error {
	if len(r.Results) == 0 {
		return errNoProbes
	}
	var errs []error
	for _, res := range r.Results {
		if res.Status == Error {
			errs = append(errs, fmt.Errorf("probe %q on %s: %s", res.Name, res.VM, res.Message))
		}
	}
	return errors.Join(errs...)
}

// ExitCode is what `vlab check` exits with: 0 resolved, 1 not resolved,
// 2 when the check could not decide.
func (r Report) ExitCode() int {
	switch {
	case r.Err() != nil:
		return 2
	case r.Resolved():
		return 0
	}
	return 1
}

func (r Report) state() string {
	switch r.ExitCode() {
	case 0:
		return "resolved"
	case 1:
		if r.Mitigated() {
			return "mitigated"
		}
		return "unresolved"
	}
	return "error"
}

// Checker runs probes. The zero value is not usable: Dial must be set.
type Checker struct {
	Dial Dialer
	// Clock defaults to the system clock.
	Clock Clock
	// Timeout bounds each run of a command; DefaultTimeout when zero.
	Timeout time.Duration
}

// Check runs every probe of lab with the system clock. See Checker.Check.
func Check(ctx context.Context, lab *labfile.Lab, dial Dialer) Report {
	return Checker{Dial: dial}.Check(ctx, lab)
}

// Check runs every probe of lab: the probes of one VM one after another
// over a single connection, different VMs concurrently. A VM that cannot be
// reached makes each of its probes an Error result.
func (c Checker) Check(ctx context.Context, lab *labfile.Lab) Report {
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	start := c.Clock.Now()
	probes := append(append([]labfile.Probe(nil), lab.Probes...), lab.Guards()...)
	results := make([]Result, len(probes))
	byVM := map[string][]int{}
	var order []string
	for i, p := range probes {
		if _, seen := byVM[p.VM]; !seen {
			order = append(order, p.VM)
		}
		byVM[p.VM] = append(byVM[p.VM], i)
	}
	var wg sync.WaitGroup
	for _, vm := range order {
		wg.Go(func() { c.checkVM(ctx, vm, probes, byVM[vm], results) })
	}
	wg.Wait()
	r := Report{Lab: lab.Name, Started: start, Results: results}
	r.Seconds = c.Clock.Now().Sub(start).Seconds()
	r.State = r.state()
	return r
}

// checkVM runs the probes at indexes idx, all in vm, and stores their
// results at the same indexes of out.
func (c Checker) checkVM(ctx context.Context, vm string, probes []labfile.Probe, idx []int, out []Result) {
	runner, err := c.Dial(ctx, vm)
	if err == nil && runner == nil {
		err = errors.New("no connection")
	}
	for _, i := range idx {
		if err != nil {
			out[i] = newResult(probes[i])
			out[i].Status = Error
			out[i].Message = fmt.Sprintf("connect to %s: %v", vm, err)
			continue
		}
		out[i] = c.run(ctx, runner, probes[i])
	}
}

func newResult(p labfile.Probe) Result {
	return Result{Name: p.Name, VM: p.VM, Guard: p.Guard, Cause: p.Cause}
}
