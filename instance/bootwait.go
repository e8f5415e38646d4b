package instance

import (
	"context"
	"time"
)

// bootCap bounds a boot that keeps printing: the wait for a guest's SSH
// ends after this many boot timeouts in all.
const bootCap = 3

// consoleReader is the part of vm.Driver whileBooting uses.
type consoleReader interface {
	ConsoleTail(ctx context.Context, name string, n int) (string, error)
}

// bootPoll is how often whileBooting reads the console.
var bootPoll = 10 * time.Second

// whileBooting returns a context for the wait on a guest's SSH that ends
// when the guest's console has printed nothing new for timeout, or after
// bootCap timeouts in all. A guest booting slowly on a loaded host (four
// TCG guests on two cores took over 5 minutes) keeps printing and is
// waited for; a guest stuck before its login prompt, or whose sshd never
// answers, is given up after timeout of silence. A driver whose console
// cannot be read gets the plain timeout.
func whileBooting(ctx context.Context, drv consoleReader, domain string, timeout time.Duration) (context.Context, context.CancelFunc) {
	wctx, cancel := context.WithTimeout(ctx, bootCap*timeout)
	t := time.NewTicker(max(min(bootPoll, timeout/5), time.Millisecond))
	go func() {
		last, quiet := "", time.Now()
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case now := <-t.C:
				tail, err := drv.ConsoleTail(wctx, domain, 3)
				if err == nil && tail != last {
					last, quiet = tail, now
				}
				if now.Sub(quiet) >= timeout {
					cancel()
					return
				}
			}
		}
	}()
	return wctx, cancel
}
