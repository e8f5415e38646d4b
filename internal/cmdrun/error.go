package cmdrun

import (
	"fmt"
	"strings"
)

// maxShown bounds the command and the output line an Error prints.
const maxShown = 120

// Error is a command, on the host or in a guest, that exited with a
// non-zero status. It keeps the last lines of the command's output so that
// `--verbose` can show them (Tail); Error() is one line naming the
// command, its status and the last line it printed.
type Error struct {
	Where  string // "host" or the guest's name
	Cmd    string // the command line or argv joined with spaces
	Exit   int
	Output []string // last lines of stdout and stderr, interleaved
	Err    error    // the *exec.ExitError of a host command; nil for a guest's
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s: %q exited with status %d", e.Where, Shorten(e.Cmd), e.Exit)
	if n := len(e.Output); n > 0 {
		msg += ": " + Shorten(e.Output[n-1])
	}
	return msg
}

// Tail returns the kept lines of output, one a line, for --verbose; ""
// when the command printed nothing.
func (e *Error) Tail() string { return strings.Join(e.Output, "\n") }

// Unwrap returns the run's own error, if any.
func (e *Error) Unwrap() error { return e.Err }

// Shorten makes s fit in a one-line message: whitespace runs become one
// space and a long s keeps its beginning.
func Shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown - 3
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}
