package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestOutput(t *testing.T) {
	ctx := context.Background()
	var verbose, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "sh", "-c", "echo out; echo err >&2")
	cmd.Stderr = &stderr
	out, err := Output(ctx, cmd, &verbose)
	if err != nil || string(out) != "out\n" {
		t.Fatalf("Output = %q, %v", out, err)
	}
	if stderr.String() != "err\n" || !strings.Contains(verbose.String(), "out\n") || !strings.Contains(verbose.String(), "err\n") {
		t.Errorf("stderr %q, verbose %q: want the caller's writer and verbose to get the output", stderr.String(), verbose.String())
	}
}

func TestRunFailureKeepsTail(t *testing.T) {
	ctx := context.Background()
	err := Run(ctx, exec.CommandContext(ctx, "sh", "-c", "exec >&2; for i in $(seq 30); do echo line $i; done; echo oops; exit 3"), nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if e.Exit != 3 || e.Where != "host" || len(e.Output) != DefaultLines || e.Output[len(e.Output)-1] != "oops" {
		t.Errorf("Error = %+v", e)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasSuffix(msg, "exited with status 3: oops") {
		t.Errorf("Error() = %q, want one line with the status and the last line", msg)
	}
	if tail := e.Tail(); !strings.HasPrefix(tail, "line 12\n") || !strings.HasSuffix(tail, "line 30\noops") {
		t.Errorf("Tail() = %q", tail)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Error("the *exec.ExitError is not reachable")
	}
}

func TestRunNotFoundAndCancelled(t *testing.T) {
	ctx := context.Background()
	err := Run(ctx, exec.CommandContext(ctx, "vlab-no-such-tool"), nil)
	if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "vlab-no-such-tool") {
		t.Errorf("missing program: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = Run(ctx, exec.CommandContext(ctx, "sleep", "10"), nil)
	var e *Error
	if !errors.Is(err, context.DeadlineExceeded) || errors.As(err, &e) || strings.Contains(err.Error(), "\n") {
		t.Errorf("cancelled: %v", err)
	}
}

func TestOutputCapped(t *testing.T) {
	c := &capped{max: 4}
	c.Write([]byte("abcdef"))
	if c.String() != "abcd" || !c.over {
		t.Errorf("capped kept %q, over %v", c.String(), c.over)
	}
}

func TestTailString(t *testing.T) {
	tl := &Tail{Max: 2}
	tl.Write([]byte("a\nb\n"))
	if tl.String() != "a\nb" {
		t.Errorf("String = %q", tl.String())
	}
	tl.Write([]byte("c\n"))
	if tl.String() != "...\nb\nc" {
		t.Errorf("String = %q, want the dropped lines marked", tl.String())
	}
}
