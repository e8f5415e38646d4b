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

	"github.com/vlab-dev/vlab/internal/cmdrun"
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
	var stderr bytes.Buffer // Vagrant says what went wrong in its first lines
	cmd.Stderr = &stderr
	stdout, err := cmdrun.Output(ctx, cmd, e.Verbose)
	if err == nil {
		return string(stdout), nil
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		err = exit // the command is in RunError already
	case errors.Is(err, exec.ErrNotFound):
		err = fmt.Errorf("%w: %v", ErrNotInstalled, err)
	}
	return string(stdout), &RunError{Args: c.Args, Dir: c.Dir, Stdout: string(stdout), Stderr: stderr.String(), Err: err}
}

// RunError is a failed vagrant command with its output. Unlike
// cmdrun.Error it quotes the first line of stderr, where Vagrant puts its
// message, and knows Vagrant's kinds of failure and what to do about them.
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

// tailLines is how much of stderr --verbose shows.
const tailLines = 15

// Tail returns the last lines the command printed on stderr, for
// --verbose; "" when it printed nothing.
func (e *RunError) Tail() string {
	t := &cmdrun.Tail{Max: tailLines}
	io.WriteString(t, e.Stderr)
	return t.String()
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
