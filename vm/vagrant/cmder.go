package vagrant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Cmd is one run of an external command.
type Cmd struct {
	Dir  string
	Env  []string // added to the environment of vlab
	Args []string // Args[0] is the program
}

// Cmder runs external commands; Exec runs real ones and tests record argv.
type Cmder interface {
	// Run runs c and returns what it printed on stdout. A failure is a
	// *RunError that keeps the command and everything it printed.
	Run(ctx context.Context, c Cmd) (string, error)
}

// Exec runs commands on this machine.
type Exec struct {
	// Verbose receives everything commands print, as they print it.
	Verbose io.Writer
}

// Run runs c. Cancelling ctx interrupts the command (as Ctrl-C would),
// so that Vagrant cleans up, and kills it when it has not ended 30 s later.
func (e Exec) Run(ctx context.Context, c Cmd) (string, error) {
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 30 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if e.Verbose != nil {
		cmd.Stdout = io.MultiWriter(&stdout, e.Verbose)
		cmd.Stderr = io.MultiWriter(&stderr, e.Verbose)
	}
	err := cmd.Run()
	if err == nil {
		return stdout.String(), nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		err = fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return stdout.String(), &RunError{Args: c.Args, Dir: c.Dir, Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// RunError is a failed command with its output.
type RunError struct {
	Args           []string
	Dir            string
	Stdout, Stderr string
	Err            error
}

// maxLine bounds the line of Vagrant's output an error quotes.
const maxLine = 200

// Error names the command, what went wrong and the first line the
// command printed on stderr, in one line; Tail has more, Hint what to do.
func (e *RunError) Error() string {
	msg := fmt.Sprintf("%s: %v", strings.Join(e.Args, " "), e.Err)
	for _, l := range strings.Split(e.Stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			if r := []rune(l); len(r) > maxLine {
				l = string(r[:maxLine]) + "…"
			}
			return msg + ": " + l
		}
	}
	return msg
}

// Tail returns the last lines the command printed on stderr, for
// --verbose; "" when it printed nothing.
func (e *RunError) Tail() string {
	if msg := strings.TrimSpace(e.Stderr); msg != "" {
		return lastLines(msg, 15)
	}
	return ""
}

// Hint says what the user can do about the failure; "" when vlab cannot tell.
func (e *RunError) Hint() string {
	if errors.Is(e.Err, ErrNotInstalled) {
		return "install Vagrant and its libvirt provider: `apt-get install vagrant vagrant-libvirt`"
	}
	return hint(e.Stdout + e.Stderr)
}

// Unwrap lets errors.Is see both the cause and the kind of failure.
func (e *RunError) Unwrap() []error {
	errs := []error{e.Err}
	if k := kind(e.Stdout + e.Stderr); k != nil {
		errs = append(errs, k)
	}
	return errs
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
