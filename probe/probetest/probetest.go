// Package probetest provides fakes for testing code that probes lab VMs
// or waits on a clock: a clock that moves only when told and a scripted
// command runner.
package probetest

import (
	"context"
	"io"
	"sync"
	"time"
)

// Clock is a probe.Clock that advances only when slept on or by Advance,
// and records every sleep.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep moves the clock on by d at once, unless ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// Advance moves the clock on by d without recording a sleep.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleeps returns the durations slept, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// Reply is what Runner answers to one command.
type Reply struct {
	Stdout string
	Stderr string
	Exit   int
	Err    error
}

// Runner is a provision.Runner answering commands with Replies in turn;
// the last reply repeats. It is safe for concurrent use.
type Runner struct {
	Replies []Reply
	// OnRun, when set, is called with each command before it is answered.
	OnRun func(cmd string)

	mu   sync.Mutex
	cmds []string
}

// Run answers cmd with the next reply.
func (r *Runner) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if r.OnRun != nil {
		r.OnRun(cmd)
	}
	r.mu.Lock()
	rep := Reply{}
	if len(r.Replies) > 0 {
		rep = r.Replies[min(len(r.cmds), len(r.Replies)-1)]
	}
	r.cmds = append(r.cmds, cmd)
	r.mu.Unlock()
	io.WriteString(stdout, rep.Stdout)
	io.WriteString(stderr, rep.Stderr)
	return rep.Exit, rep.Err
}

// Upload does nothing.
func (r *Runner) Upload(context.Context, string, string) error { return nil }

// WriteFile does nothing.
func (r *Runner) WriteFile(context.Context, string, []byte, uint32) error { return nil }

// Cmds returns the commands run so far.
func (r *Runner) Cmds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.cmds...)
}
