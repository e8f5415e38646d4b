package provision

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

// tailLines is how many lines of a failed command's output an error keeps.
const tailLines = 20

// CommandError is a command, on the host or in a guest, that exited with a
// non-zero status. It keeps the last lines of the command's output so that
// `--verbose` can show them; Error names only the command and its last line.
type CommandError struct {
	Where string // "host" or the guest's name
	Cmd   string
	Exit  int
	Tail  []string // last lines of stdout and stderr, interleaved
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("%s: %s exited with status %d", e.Where, shorten(e.Cmd), e.Exit)
	if n := len(e.Tail); n > 0 {
		msg += ": " + e.Tail[n-1]
	}
	return msg
}

// shorten keeps a command readable in a one-line error.
func shorten(cmd string) string {
	cmd = strings.Join(strings.Fields(cmd), " ")
	if len(cmd) > 120 {
		cmd = cmd[:117] + "..."
	}
	return fmt.Sprintf("%q", cmd)
}

// guestRun runs cmd in the guest, copying its output to verbose, and turns a
// non-zero exit status into a *CommandError.
func guestRun(ctx context.Context, r Runner, where, cmd string, verbose io.Writer) error {
	_, err := guestOutput(ctx, r, where, cmd, verbose)
	return err
}

// guestOutput is guestRun that also returns the command's stdout.
func guestOutput(ctx context.Context, r Runner, where, cmd string, verbose io.Writer) ([]byte, error) {
	var stdout bytes.Buffer
	tail := &tailWriter{max: tailLines}
	both := &lockedWriter{w: io.MultiWriter(tail, orDiscard(verbose))}
	exit, err := r.Run(ctx, cmd, nil, io.MultiWriter(&stdout, both), both)
	if err != nil {
		return nil, fmt.Errorf("%s: run %s: %w", where, shorten(cmd), err)
	}
	if exit != 0 {
		return stdout.Bytes(), &CommandError{Where: where, Cmd: cmd, Exit: exit, Tail: tail.Lines()}
	}
	return stdout.Bytes(), nil
}

// hostRun runs a command on the host with extra environment variables and
// returns its stdout; a failure keeps argv and the output's last lines.
func hostRun(ctx context.Context, env []string, verbose io.Writer, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cmd.Environ(), env...)
	var stdout bytes.Buffer
	tail := &tailWriter{max: tailLines}
	both := &lockedWriter{w: io.MultiWriter(tail, orDiscard(verbose))}
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&stdout, both), both
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		argv := strings.Join(append([]string{name}, args...), " ")
		return stdout.Bytes(), &CommandError{Where: "host", Cmd: argv, Exit: exitErr.ExitCode(), Tail: tail.Lines()}
	case err != nil:
		return stdout.Bytes(), fmt.Errorf("run %s: %w", name, errors.Join(err, ctx.Err()))
	}
	return stdout.Bytes(), nil
}

// quote makes s one word for /bin/sh.
func quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+@%,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteAll quotes each word and joins them with spaces.
func quoteAll(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = quote(w)
	}
	return strings.Join(q, " ")
}

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

// tailWriter keeps the last max complete or partial lines written to it.
type tailWriter struct {
	max   int
	lines []string
	part  []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.part = splitLines(t.part, p, t.add)
	return len(p), nil
}

// splitLines appends p to the unfinished line part, calls line with each
// line it completes, and returns what remains unfinished.
func splitLines(part, p []byte, line func(string)) []byte {
	part = append(part, p...)
	for {
		i := bytes.IndexByte(part, '\n')
		if i < 0 {
			return part
		}
		line(string(part[:i]))
		part = part[i+1:]
	}
}

func (t *tailWriter) add(line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" {
		return
	}
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

// Lines returns the kept lines, the unfinished last line included.
func (t *tailWriter) Lines() []string {
	out := append([]string(nil), t.lines...)
	if s := strings.TrimSpace(string(t.part)); s != "" {
		out = append(out, s)
		if len(out) > t.max {
			out = out[1:]
		}
	}
	return out
}
