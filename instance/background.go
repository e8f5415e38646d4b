package instance

import (
	"context"
	"fmt"
	"time"
)

// PrepareStandbyWithin is PrepareStandby as the process a Spawner starts
// runs it: after delay (restoring a standby loads the host for a second or
// two, which the trainee's first commands after a reset should not share),
// and giving up past budget, so that a libvirt call that never returns
// does not hold the instance's lock for good. Past the budget the
// preparation is left running: the process is meant to end then, and
// with it the lock.
func (m *Manager) PrepareStandbyWithin(ctx context.Context, id string, delay, budget time.Duration) error {
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	done := make(chan error, 1)
	go func() { done <- m.PrepareStandby(ctx, id) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(budget):
		return fmt.Errorf("standby of %s not ready after %s: gave up so that other commands need not wait; the next reset restores the slow way", id, budget)
	}
}
