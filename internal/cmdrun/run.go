package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
)

// MaxStdout bounds the stdout Output keeps for its caller.
const MaxStdout = 64 << 20

// Run runs cmd, made with exec.CommandContext(ctx, …), on the host. What
// it prints goes to verbose as it prints it, and to cmd.Stdout and
// cmd.Stderr when those are set; only the last lines are kept. A non-zero
// exit status is an *Error with those lines. A command that could not
// start or was cancelled is an error naming the program that wraps the
// cause (exec.ErrNotFound, ctx's error).
func Run(ctx context.Context, cmd *exec.Cmd, verbose io.Writer) error {
	return run(ctx, cmd, verbose, nil)
}

// Output is Run that also returns what cmd printed on stdout, on failure
// too; more than MaxStdout bytes of it is an error.
func Output(ctx context.Context, cmd *exec.Cmd, verbose io.Writer) ([]byte, error) {
	stdout := &capped{max: MaxStdout}
	err := run(ctx, cmd, verbose, stdout)
	if err == nil && stdout.over {
		return nil, fmt.Errorf("run %s: more than %d MiB of output", cmd.Args[0], MaxStdout>>20)
	}
	return stdout.Bytes(), err
}

func run(ctx context.Context, cmd *exec.Cmd, verbose io.Writer, stdout io.Writer) error {
	tail := &Tail{}
	both := Sync(io.MultiWriter(tail, orDiscard(verbose)))
	cmd.Stdout = tee(both, stdout, cmd.Stdout)
	cmd.Stderr = tee(both, cmd.Stderr)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && !errors.Is(err, ctx.Err()):
		return fmt.Errorf("run %s: %w (%v)", cmd.Args[0], ctx.Err(), err)
	case errors.As(err, &exit) && ctx.Err() == nil:
		return &Error{Where: "host", Cmd: strings.Join(cmd.Args, " "), Exit: exit.ExitCode(), Output: tail.Lines(), Err: exit}
	}
	return fmt.Errorf("run %s: %w", cmd.Args[0], err)
}

// tee writes to each of ws that is not nil.
func tee(ws ...io.Writer) io.Writer {
	var out []io.Writer
	for _, w := range ws {
		if w != nil {
			out = append(out, w)
		}
	}
	return io.MultiWriter(out...)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// capped keeps what is written to it up to max bytes.
type capped struct {
	bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); len(p) > room {
		c.over = true
		c.Buffer.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return c.Buffer.Write(p)
}

// Sync returns a writer that serialises writes to w: a command's stdout
// and stderr are copied from two goroutines.
func Sync(w io.Writer) io.Writer { return &syncWriter{w: w} }

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
