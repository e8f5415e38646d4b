package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestCheckCouldNotRun: a check whose VM cannot be reached exits 2 and
// says the check could not run, not that the incident is unresolved.
func TestCheckCouldNotRun(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	if code, out, errOut := f.run(t, "up", "hello"); code != 0 {
		t.Fatalf("up: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if code, out, errOut := f.run(t, "down", "hello"); code != 0 {
		t.Fatalf("down: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, errOut := f.run(t, "check", "hello")
	if code != 2 || !strings.Contains(errOut, "vlab: check could not run: probe \"motd-greets\" on box") ||
		!strings.Contains(out, "check could not run:") {
		t.Errorf("check of a stopped lab: exit %d, want 2\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}
