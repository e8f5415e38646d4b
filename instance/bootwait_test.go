package instance

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// console prints a new line at each read until printing is false.
type console struct {
	reads    atomic.Int64
	printing atomic.Bool
	fail     bool
}

func (c *console) ConsoleTail(ctx context.Context, name string, n int) (string, error) {
	if c.fail {
		return "", errors.New("no console")
	}
	r := c.reads.Add(1)
	if c.printing.Load() {
		return fmt.Sprintf("[%d] booting", r), nil
	}
	return "login:", nil
}

func TestWhileBooting(t *testing.T) {
	defer func(p time.Duration) { bootPoll = p }(bootPoll)
	bootPoll = 5 * time.Millisecond
	const timeout = 100 * time.Millisecond

	// A guest that keeps printing is waited for past the timeout, up to
	// bootCap timeouts.
	c := &console{}
	c.printing.Store(true)
	start := time.Now()
	ctx, cancel := whileBooting(context.Background(), c, "vm", timeout)
	<-ctx.Done()
	cancel()
	if took := time.Since(start); took < 2*timeout || took > bootCap*timeout+timeout {
		t.Errorf("a printing guest was waited for %s, want about %s", took, bootCap*timeout)
	}

	// A guest that prints for a while, then goes silent, is given up one
	// timeout after its last line.
	c = &console{}
	c.printing.Store(true)
	start = time.Now()
	ctx, cancel = whileBooting(context.Background(), c, "vm", timeout)
	time.Sleep(timeout / 2)
	c.printing.Store(false)
	<-ctx.Done()
	cancel()
	if took := time.Since(start); took < timeout || took > 2*timeout+timeout/2 {
		t.Errorf("a guest silent after %s was given up after %s, want about %s", timeout/2, took, timeout/2+timeout)
	}

	// A console that cannot be read: the plain timeout.
	start = time.Now()
	ctx, cancel = whileBooting(context.Background(), &console{fail: true}, "vm", timeout)
	<-ctx.Done()
	cancel()
	if took := time.Since(start); took < timeout || took > 2*timeout {
		t.Errorf("without a console the wait took %s, want %s", took, timeout)
	}

	// The caller's cancellation ends it at once.
	parent, stop := context.WithCancel(context.Background())
	ctx, cancel = whileBooting(parent, c, "vm", time.Hour)
	stop()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Error("cancelling the caller did not end the wait")
	}
	cancel()
}
