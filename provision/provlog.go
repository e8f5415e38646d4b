package provision

import (
	"fmt"
	"os"
	"sync"
)

// A provisioning log keeps its first logHead bytes and its last logTail:
// a step that floods its output (a run: printing hundreds of MiB) must not
// fill the disk, and the end of the log is where a failure shows. Tests
// make them smaller.
var (
	logHead int64 = 32 << 20
	logTail       = 1 << 20
)

// cappedLog is a provisioning log file. Past logHead it holds only the
// last logTail bytes in memory and writes them at Close, after a line
// that says how much was dropped.
type cappedLog struct {
	mu      sync.Mutex
	f       *os.File
	written int64
	tail    []byte // what came after the head, its last logTail bytes
	dropped int64
}

// createLog creates (or empties) the provisioning log at path.
func createLog(path string) (*cappedLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &cappedLog{f: f}, nil
}

// Write writes p to the file while the head has room and keeps the rest
// as the tail.
func (l *cappedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(p)
	if room := logHead - l.written; room > 0 {
		head := p[:min(int64(len(p)), room)]
		if _, err := l.f.Write(head); err != nil {
			return 0, err
		}
		l.written += int64(len(head))
		p = p[len(head):]
	}
	l.tail = append(l.tail, p...)
	if over := len(l.tail) - logTail; over > logTail {
		// Drop in large steps, so that a flood is copied about once.
		l.dropped += int64(over)
		l.tail = append(l.tail[:0], l.tail[over:]...)
	}
	return n, nil
}

// Close writes the tail, after the line saying what was dropped, and
// closes the file.
func (l *cappedLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if over := len(l.tail) - logTail; over > 0 {
		l.dropped += int64(over)
		l.tail = l.tail[over:]
	}
	if l.dropped > 0 {
		fmt.Fprintf(l.f, "\n== vlab: %d bytes of output dropped here; the log keeps its first %d MiB and its last %d KiB\n",
			l.dropped, logHead>>20, logTail>>10)
	}
	_, werr := l.f.Write(l.tail)
	l.tail = nil
	if err := l.f.Close(); err != nil {
		return err
	}
	return werr
}
