package incident

import (
	"context"
	"fmt"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// PlayOptions tune Play.
type PlayOptions struct {
	// Speed scales the timeline: 10 plays a 40 minute incident in 4.
	Speed float64
	// Confirm is asked before an inject that gives the answer away; nil,
	// or false, stops the play there with an error wrapping ErrNeedsConfirm.
	Confirm func(labfile.Inject) bool
	// Show receives each inject as it is revealed; an error stops the play.
	Show func(Shown) error
}

// Play reveals the remaining injects of the attempt on their own, each
// when its offset in the real timeline has come on the scaled clock. The
// clock starts at the last inject already revealed (or at the incident's
// first event), and restarts at each reveal, so a pause for confirmation
// does not bring the following injects all at once. Play returns nil once
// every inject is revealed and ctx's error when it is cancelled.
func (s *Session) Play(ctx context.Context, o PlayOptions) error {
	if o.Speed <= 0 {
		return fmt.Errorf("speed %g: want a positive factor such as 1 or 10", o.Speed)
	}
	a, err := s.Current()
	if err != nil {
		return err
	}
	var pos time.Duration
	for _, in := range s.Lab.Injects {
		if a.Revealed(in.ID) {
			pos = in.At.D()
		}
	}
	for {
		// Re-read: `vlab inject` may have revealed some meanwhile.
		if a, err = s.Current(); err != nil {
			return err
		}
		i := s.nextIndex(a)
		if i < 0 {
			return nil
		}
		in := s.Lab.Injects[i]
		wait := time.Duration(float64(in.At.D()-pos) / o.Speed)
		if err := s.clock().Sleep(ctx, wait); err != nil {
			return err
		}
		if NeedsConfirm(in) && (o.Confirm == nil || !o.Confirm(in)) {
			return fmt.Errorf("play stopped before inject %d (%s, %q): %w", i+1, in.Kind, in.ID, ErrNeedsConfirm)
		}
		sh, err := s.reveal(ctx, a, i)
		if err != nil {
			return err
		}
		pos = in.At.D()
		if o.Show != nil {
			if err := o.Show(sh); err != nil {
				return fmt.Errorf("show inject %q: %w", in.ID, err)
			}
		}
	}
}
