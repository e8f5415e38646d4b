package incident

import (
	"time"

	"github.com/vlab-dev/vlab/probe"
)

// Attempt is one try at the incident, from an `up` or `reset` to the next.
type Attempt struct {
	// N counts attempts from 1.
	N       int
	Started time.Time
	// By is "up" or "reset"; empty when events came before any attempt
	// was recorded.
	By      string
	Reveals []Reveal
	Checks  []Check
	// Resolved is the time of the first check that found the incident
	// resolved; zero while unresolved.
	Resolved time.Time
	// Mitigated is the time of the first check that found users served
	// (mitigated or resolved); zero before.
	Mitigated time.Time
	// Solved is the time the reference fix was first applied; zero when
	// the trainee did without it.
	Solved time.Time
}

// Reveal is an inject shown for the first time.
type Reveal struct {
	Inject string
	Time   time.Time
}

// Check is one run of the probes.
type Check struct {
	Time     time.Time
	Resolved bool
	Passed   int
	Total    int
}

// Replay groups events into attempts. Events before the first recorded
// attempt form an attempt of their own that starts with them.
func Replay(evs []Event) []Attempt {
	var as []Attempt
	for _, ev := range evs {
		if ev.Kind == AttemptStarted || len(as) == 0 {
			as = append(as, Attempt{N: len(as) + 1, Started: ev.Time})
		}
		a := &as[len(as)-1]
		switch ev.Kind {
		case AttemptStarted:
			a.By = ev.By
		case InjectRevealed:
			if !a.Revealed(ev.Inject) {
				a.Reveals = append(a.Reveals, Reveal{Inject: ev.Inject, Time: ev.Time})
			}
		case CheckRun:
			a.addCheck(ev)
		case SolveApplied:
			if a.Solved.IsZero() {
				a.Solved = ev.Time
			}
		}
	}
	return as
}

func (a *Attempt) addCheck(ev Event) {
	c := Check{Time: ev.Time, Resolved: ev.Resolved, Total: len(ev.Results)}
	for _, r := range ev.Results {
		if r.Status == probe.Pass {
			c.Passed++
		}
	}
	a.Checks = append(a.Checks, c)
	if ev.Resolved && a.Resolved.IsZero() {
		a.Resolved = ev.Time
	}
	if (ev.Resolved || ev.Mitigated) && a.Mitigated.IsZero() {
		a.Mitigated = ev.Time
	}
}

// Revealed reports whether the inject with id was revealed in a.
func (a *Attempt) Revealed(id string) bool {
	_, ok := a.RevealTime(id)
	return ok
}

// RevealTime returns when the inject with id was revealed in a.
func (a *Attempt) RevealTime(id string) (time.Time, bool) {
	for _, r := range a.Reveals {
		if r.Inject == id {
			return r.Time, true
		}
	}
	return time.Time{}, false
}
