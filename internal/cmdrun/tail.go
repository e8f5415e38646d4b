// Package cmdrun runs commands on the host and holds what vlab keeps of a
// command it ran, on the host or in a guest: the end of its output,
// bounded whatever the command prints, and an error that names the
// command, its exit status and that tail.
package cmdrun

import (
	"bytes"
	"strings"
	"sync"
)

// Defaults for a zero Tail.
const (
	DefaultLines   = 20
	DefaultLineMax = 4 << 10
)

// cutMark ends a line that was longer than the writer keeps.
const cutMark = " …[cut]"

// Lines is an io.Writer that splits what is written to it into lines and
// hands each to Line. A line longer than Max bytes is cut to its first Max
// bytes; the rest of it is dropped as it arrives, so memory stays bounded
// even for output that has no newline at all.
type Lines struct {
	Max  int // bytes kept of one line; 0 means DefaultLineMax
	Line func(line string)

	part []byte
	cut  bool
}

func (l *Lines) max() int {
	if l.Max <= 0 {
		return DefaultLineMax
	}
	return l.Max
}

func (l *Lines) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		chunk := p
		if i >= 0 {
			chunk = p[:i]
		}
		l.keep(chunk)
		if i < 0 {
			break
		}
		l.Line(l.take())
		p = p[i+1:]
	}
	return n, nil
}

// keep appends as much of b to the unfinished line as fits.
func (l *Lines) keep(b []byte) {
	if room := l.max() - len(l.part); len(b) > room {
		b = b[:max(room, 0)]
		l.cut = true
	}
	l.part = append(l.part, b...)
}

// take returns the unfinished line and starts a new one.
func (l *Lines) take() string {
	s := strings.TrimRight(string(l.part), "\r")
	if l.cut {
		s += cutMark
	}
	l.part, l.cut = l.part[:0], false
	return s
}

// Flush hands the unfinished last line, if any, to Line.
func (l *Lines) Flush() {
	if len(l.part) > 0 || l.cut {
		l.Line(l.take())
	}
}

// Tail is an io.Writer that keeps the last lines written to it, blank
// lines left out, each cut to a bounded length: at most Lines × LineMax
// bytes whatever is written. It is safe for concurrent use, so that a
// command's stdout and stderr can share one.
type Tail struct {
	Max     int // lines kept; 0 means DefaultLines
	LineMax int // bytes kept of one line; 0 means DefaultLineMax

	mu      sync.Mutex
	split   *Lines
	lines   []string
	dropped bool // earlier lines were let go
}

func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.split == nil {
		t.split = &Lines{Max: t.LineMax, Line: t.add}
	}
	return t.split.Write(p)
}

func (t *Tail) add(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	t.lines = append(t.lines, line)
	if n := t.max(); len(t.lines) > n {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-n:]...)
		t.dropped = true
	}
}

func (t *Tail) max() int {
	if t.Max <= 0 {
		return DefaultLines
	}
	return t.Max
}

// Lines returns the kept lines, the unfinished last one included.
func (t *Tail) Lines() []string {
	lines, _ := t.kept()
	return lines
}

// String returns the kept lines, one a line, after a "..." line when
// earlier ones were let go: what --verbose prints of a command.
func (t *Tail) String() string {
	lines, dropped := t.kept()
	if dropped {
		lines = append([]string{"..."}, lines...)
	}
	return strings.Join(lines, "\n")
}

// kept returns the kept lines and whether earlier ones were let go.
func (t *Tail) kept() ([]string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	dropped := t.dropped
	out := append([]string(nil), t.lines...)
	if t.split != nil && (len(t.split.part) > 0 || t.split.cut) {
		last := strings.TrimSpace(string(t.split.part))
		if t.split.cut {
			last += cutMark
		}
		if strings.TrimSpace(last) != "" {
			out = append(out, last)
		}
	}
	if n := t.max(); len(out) > n {
		out, dropped = out[len(out)-n:], true
	}
	return out, dropped
}

// Last returns the last line kept, or "".
func (t *Tail) Last() string {
	lines := t.Lines()
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}
