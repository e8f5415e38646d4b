package provision

import (
	"context"
	"fmt"
	"github.com/vlab-dev/vlab/internal/shquote"
	"io"
	"os/exec"

	"github.com/vlab-dev/vlab/internal/cmdrun"
)

// CommandError is a command, on the host or in a guest, that exited with a
// non-zero status; see cmdrun.Error.
type CommandError = cmdrun.Error

// shorten keeps a command readable in a one-line error.
func shorten(cmd string) string { return fmt.Sprintf("%q", cmdrun.Shorten(cmd)) }

// guestRun runs cmd in the guest, streaming its output to verbose, and
// turns a non-zero exit status into a *CommandError with the output's
// tail. Nothing else of the output is kept.
func guestRun(ctx context.Context, r Runner, where, cmd string, verbose io.Writer) error {
	tail := &cmdrun.Tail{}
	both := cmdrun.Sync(io.MultiWriter(tail, orDiscard(verbose)))
	exit, err := r.Run(ctx, cmd, nil, both, both)
	if err != nil {
		return fmt.Errorf("%s: run %s: %w", where, shorten(cmd), err)
	}
	if exit != 0 {
		return &CommandError{Where: where, Cmd: cmd, Exit: exit, Output: tail.Lines()}
	}
	return nil
}

// hostRun runs a command on the host with extra environment variables and
// returns its stdout; a failure keeps argv and the output's last lines.
func hostRun(ctx context.Context, env []string, verbose io.Writer, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), env...)
	return cmdrun.Output(ctx, cmd, verbose)
}

// quote makes s one word for /bin/sh.
func quote(s string) string { return shquote.Quote(s) }

// quoteAll quotes each word and joins them with spaces.
func quoteAll(words []string) string { return shquote.Join(words) }

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}
