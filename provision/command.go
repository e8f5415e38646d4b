package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/vlab-dev/vlab/internal/shquote"
	"io"
	"os/exec"
	"strings"
	"sync"

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
	both := &lockedWriter{w: io.MultiWriter(tail, orDiscard(verbose))}
	exit, err := r.Run(ctx, cmd, nil, both, both)
	if err != nil {
		return fmt.Errorf("%s: run %s: %w", where, shorten(cmd), err)
	}
	if exit != 0 {
		return &CommandError{Where: where, Cmd: cmd, Exit: exit, Tail: tail.Lines()}
	}
	return nil
}

// maxHostStdout bounds the stdout of a host command that vlab reads.
const maxHostStdout = 64 << 20

// hostRun runs a command on the host with extra environment variables and
// returns its stdout; a failure keeps argv and the output's last lines.
func hostRun(ctx context.Context, env []string, verbose io.Writer, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), env...)
	return runHost(ctx, cmd, verbose)
}

// runHost runs cmd, whose environment is set, as hostRun does.
func runHost(ctx context.Context, cmd *exec.Cmd, verbose io.Writer) ([]byte, error) {
	stdout := &cappedBuffer{max: maxHostStdout}
	tail := &cmdrun.Tail{}
	both := &lockedWriter{w: io.MultiWriter(tail, orDiscard(verbose))}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, both), both
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		return stdout.Bytes(), &CommandError{Where: "host", Cmd: strings.Join(cmd.Args, " "), Exit: exitErr.ExitCode(), Tail: tail.Lines()}
	case err != nil:
		return stdout.Bytes(), fmt.Errorf("run %s: %w", cmd.Args[0], errors.Join(err, ctx.Err()))
	case stdout.over:
		return nil, fmt.Errorf("run %s: more than %d MiB of output", cmd.Args[0], maxHostStdout>>20)
	}
	return stdout.Bytes(), nil
}

// cappedBuffer keeps what is written to it up to max bytes.
type cappedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
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

// lockedWriter serialises writes: a Runner may copy stdout and stderr from
// two goroutines into the same writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
