package termtext

import (
	"bytes"
	"io"
	"sync"
)

// maxPending bounds what a Writer holds back waiting for a line's end.
const maxPending = 4 << 10

// Writer passes what guests and tools print through to a terminal, cleaned
// as Text cleans it, a line at a time, so that a sequence split across
// writes is still seen whole. A line longer than maxPending is passed on
// in pieces. It is safe for concurrent writers (lines may interleave).
type Writer struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write cleans and passes on every complete line of p (with what earlier
// writes left pending).
func (s *Writer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	for {
		i := bytes.IndexByte(s.buf, '\n')
		if i < 0 && len(s.buf) < maxPending {
			return len(p), nil
		}
		if i < 0 {
			i = len(s.buf) - 1
		}
		if _, err := io.WriteString(s.w, Text(string(s.buf[:i+1]))); err != nil {
			return len(p), err
		}
		s.buf = s.buf[i+1:]
	}
}

// Flush passes on a last line that has no line end.
func (s *Writer) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(s.w, Text(string(s.buf)))
	s.buf = nil
	return err
}
