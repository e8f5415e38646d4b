package incident

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe"
)

var (
	// ErrNeedsConfirm is wrapped when the next inject gives the answer away
	// (kind cause or fix): ask the trainee, or take --yes, and call again
	// confirmed.
	ErrNeedsConfirm = errors.New("this inject gives away the answer")
	// ErrAllRevealed is returned by Next when no inject is left.
	ErrAllRevealed = errors.New("every inject has been revealed")
	// ErrDeclined is returned by NextAsking when the trainee chose not to
	// reveal an inject that gives the answer away.
	ErrDeclined = errors.New("not revealed")
	// ErrNoAttempt is returned when the journal records no attempt yet.
	ErrNoAttempt = errors.New("no attempt started; run `vlab up` first")
)

// ConfirmKinds are the inject kinds revealed only when confirmed.
var ConfirmKinds = []string{"cause", "fix"}

// NeedsConfirm reports whether in gives the answer away.
func NeedsConfirm(in labfile.Inject) bool { return slices.Contains(ConfirmKinds, in.Kind) }

// Session is a trainee's incident on one lab instance: the lab, the
// instance's journal and a way into its VMs.
type Session struct {
	Lab     *labfile.Lab
	Journal *Journal
	// Dial connects to a VM to run live injects; nil shows them without
	// their output.
	Dial probe.Dialer
	// Clock defaults to the system clock.
	Clock probe.Clock
	// AttachDir receives copies of attached files; by default the
	// "attachments" folder beside the journal.
	AttachDir string

	done func() // set by OnInstance, run by Close
}

// Shown is an inject as shown to the trainee.
type Shown struct {
	// N is the inject's place in the lab's timeline, from 1, of Of.
	N, Of  int
	Inject labfile.Inject
	// Revealed is when the inject was first revealed in this attempt, and
	// Since how long after the attempt started.
	Revealed time.Time
	Since    time.Duration
	// Attachment is where the attached file can be opened; empty when
	// there is none.
	Attachment string
	// Live is the output of the inject's live command; nil when it has none
	// or when only listed.
	Live *Live
	// Preview marks an inject shown to an author or trainer without an
	// instance: not revealed, its live command named but not run.
	Preview bool
}

func (s *Session) clock() probe.Clock {
	if s.Clock == nil {
		return probe.SystemClock{}
	}
	return s.Clock
}

// StartAttempt records that `up` or `reset` (by) gave the trainee a fresh lab.
func (s *Session) StartAttempt(by string) error {
	return s.Journal.Append(Event{Kind: AttemptStarted, By: by, Time: s.clock().Now()})
}

// RecordCheck records a check's report.
func (s *Session) RecordCheck(r probe.Report) error {
	return s.Journal.Append(Event{Kind: CheckRun, Time: s.clock().Now(), Resolved: r.Resolved(), Mitigated: r.Mitigated(), Results: r.Results})
}

// Check runs the lab's probes in the trainee's VMs and records the
// report: what `vlab check` does.
func (s *Session) Check(ctx context.Context) (probe.Report, error) {
	r := probe.Check(ctx, s.Lab, s.Dial)
	return r, s.RecordCheck(r)
}

// Debrief is the debrief of every attempt in the journal.
func (s *Session) Debrief() (Debrief, error) {
	attempts, err := s.Journal.Attempts()
	if err != nil {
		return Debrief{}, err
	}
	return NewDebrief(s.Lab, attempts), nil
}

// RecordSolve records that the reference fix was applied.
func (s *Session) RecordSolve() error {
	return s.Journal.Append(Event{Kind: SolveApplied, Time: s.clock().Now()})
}

// Current returns the attempt in progress.
func (s *Session) Current() (Attempt, error) {
	as, err := s.Journal.Attempts()
	if err != nil {
		return Attempt{}, err
	}
	for i := len(as) - 1; i >= 0; i-- {
		if as[i].By != "" {
			return as[i], nil
		}
	}
	return Attempt{}, ErrNoAttempt
}

// Next reveals the first inject of the timeline not yet revealed in this
// attempt, runs its live command and copies its attachment. An inject of a
// ConfirmKinds kind is revealed only when confirmed; otherwise the error
// wraps ErrNeedsConfirm and nothing is recorded.
func (s *Session) Next(ctx context.Context, confirmed bool) (Shown, error) {
	if confirmed {
		return s.NextAsking(ctx, func(labfile.Inject) bool { return true })
	}
	return s.NextAsking(ctx, nil)
}

// NextAsking is Next that asks confirm before revealing an inject that
// gives the answer away: it returns ErrDeclined when confirm says no, and
// an error wrapping ErrNeedsConfirm when confirm is nil.
func (s *Session) NextAsking(ctx context.Context, confirm func(labfile.Inject) bool) (Shown, error) {
	a, err := s.Current()
	if err != nil {
		return Shown{}, err
	}
	i := s.nextIndex(a)
	if i < 0 {
		return Shown{}, ErrAllRevealed
	}
	in := s.Lab.Injects[i]
	switch {
	case !NeedsConfirm(in):
	case confirm == nil:
		return Shown{}, fmt.Errorf("inject %d of %d (%s, %q): %w", i+1, len(s.Lab.Injects), in.Kind, in.ID, ErrNeedsConfirm)
	case !confirm(in):
		return Shown{}, ErrDeclined
	}
	return s.reveal(ctx, a, i)
}

func (s *Session) nextIndex(a Attempt) int {
	return slices.IndexFunc(s.Lab.Injects, func(in labfile.Inject) bool { return !a.Revealed(in.ID) })
}

// reveal records inject i as revealed in a and shows it.
func (s *Session) reveal(ctx context.Context, a Attempt, i int) (Shown, error) {
	now := s.clock().Now()
	sh := s.shown(a, i, now)
	if err := s.prepare(ctx, &sh); err != nil {
		return Shown{}, err
	}
	if err := s.Journal.Append(Event{Kind: InjectRevealed, Inject: sh.Inject.ID, Time: now}); err != nil {
		return Shown{}, err
	}
	return sh, nil
}

func (s *Session) shown(a Attempt, i int, at time.Time) Shown {
	return Shown{N: i + 1, Of: len(s.Lab.Injects), Inject: s.Lab.Injects[i], Revealed: at, Since: at.Sub(a.Started)}
}

// prepare copies the attachment and runs the live command of sh.
func (s *Session) prepare(ctx context.Context, sh *Shown) error {
	in := sh.Inject
	if in.Attach != "" {
		p, err := s.copyAttachment(in)
		if err != nil {
			return err
		}
		sh.Attachment = p
	}
	if in.Live != nil {
		sh.Live = runLive(ctx, s.Dial, *in.Live)
	}
	return nil
}

// Show shows again an inject revealed in this attempt, by its place in
// the timeline (from 1) or its id. Its live command runs again, so that
// the output is the lab's current state.
func (s *Session) Show(ctx context.Context, ref string) (Shown, error) {
	a, err := s.Current()
	if err != nil {
		return Shown{}, err
	}
	i, err := s.find(ref)
	if err != nil {
		return Shown{}, err
	}
	at, ok := a.RevealTime(s.Lab.Injects[i].ID)
	if !ok {
		return Shown{}, fmt.Errorf("inject %d is not revealed yet; `vlab inject` reveals the next one", i+1)
	}
	sh := s.shown(a, i, at)
	if err := s.prepare(ctx, &sh); err != nil {
		return Shown{}, err
	}
	return sh, nil
}

func (s *Session) find(ref string) (int, error) {
	if n, err := strconv.Atoi(ref); err == nil {
		if n < 1 || n > len(s.Lab.Injects) {
			return 0, fmt.Errorf("no inject %d; the lab has %d", n, len(s.Lab.Injects))
		}
		return n - 1, nil
	}
	i := slices.IndexFunc(s.Lab.Injects, func(in labfile.Inject) bool { return in.ID == ref })
	if i < 0 {
		return 0, fmt.Errorf("no inject %q in lab %s", ref, s.Lab.Name)
	}
	return i, nil
}

// List returns the injects revealed in this attempt, in timeline order,
// without running live commands or copying attachments.
func (s *Session) List() ([]Shown, error) {
	a, err := s.Current()
	if err != nil {
		return nil, err
	}
	var out []Shown
	for i, in := range s.Lab.Injects {
		if at, ok := a.RevealTime(in.ID); ok {
			out = append(out, s.shown(a, i, at))
		}
	}
	return out, nil
}
