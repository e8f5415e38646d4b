package probe

import "bytes"

// Capped is an io.Writer keeping at most Max bytes and counting the rest,
// so a chatty command can neither exhaust memory nor block on a full pipe.
type Capped struct {
	Max     int
	buf     bytes.Buffer
	dropped int
}

// Write keeps what fits under Max and always reports the whole of p written.
func (c *Capped) Write(p []byte) (int, error) {
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
func (c *Capped) Truncated() bool { return c.dropped > 0 }

// String returns what was kept.
func (c *Capped) String() string { return c.buf.String() }
