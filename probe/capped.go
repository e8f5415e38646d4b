package probe

import (
	"bytes"
	"sync"
)

// Capped is an io.Writer keeping at most Max bytes and counting the rest,
// so a chatty command can neither exhaust memory nor block on a full pipe.
// It may be written from several goroutines, as stdout and stderr of one
// command often are.
type Capped struct {
	Max     int
	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int
}

// Write keeps what fits under Max and always reports the whole of p written.
func (c *Capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	room := c.Max - c.buf.Len()
	if room < 0 {
		room = 0
	}
	if len(p) > room {
		c.dropped += len(p) - room
		c.buf.Write(p[:room])
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

// Truncated reports whether anything was dropped.
func (c *Capped) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped > 0
}

// String returns what was kept.
func (c *Capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}
