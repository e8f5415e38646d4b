package vagrant

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestExecRunError: Exec keeps what the command printed and names the
// failure as Vagrant's errors always read: argv, exit status, the first
// line of stderr.
func TestExecRunError(t *testing.T) {
	ctx := context.Background()
	out, err := Exec{}.Run(ctx, Cmd{Args: []string{"sh", "-c", "echo out; echo first >&2; echo second >&2; exit 2"}})
	var re *RunError
	if !errors.As(err, &re) || out != "out\n" || re.Stdout != "out\n" || re.Stderr != "first\nsecond\n" {
		t.Fatalf("Run = %q, %#v", out, err)
	}
	if want := "exit status 2: first"; !strings.HasSuffix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Error() = %q, want one line ending %q", err.Error(), want)
	}
	if re.Tail() != "first\nsecond" {
		t.Errorf("Tail() = %q", re.Tail())
	}
	_, err = Exec{}.Run(ctx, Cmd{Args: []string{"vlab-no-such-vagrant", "up"}})
	if !errors.Is(err, ErrNotInstalled) || !errors.As(err, &re) || re.Hint() == "" {
		t.Errorf("missing program: %v", err)
	}
}
