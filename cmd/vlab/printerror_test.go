package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/vm/vagrant"
)

// TestPrintErrorVerboseTail: a failed Vagrant run is one line and what to
// do; the tail of its output only with --verbose.
func TestPrintErrorVerboseTail(t *testing.T) {
	stderr := "The provider 'libvirt' could not be found, but was requested to\nback the machine 'web'.\n"
	for i := range 20 {
		stderr += fmt.Sprintf("trace %d\n", i)
	}
	err := fmt.Errorf("up web: %w", &vagrant.RunError{Args: []string{"vagrant", "up", "web"}, Err: errors.New("exit status 1"), Stderr: stderr})
	var quiet, loud strings.Builder
	printError(&quiet, err, false)
	printError(&loud, err, true)
	lines := strings.Split(strings.TrimSpace(quiet.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "vagrant up web: exit status 1: The provider 'libvirt'") ||
		!strings.Contains(lines[1], "apt-get install vagrant-libvirt") {
		t.Errorf("without --verbose: %q, want the error and what to do", quiet.String())
	}
	if !strings.Contains(loud.String(), "  | trace 19\n") || strings.Contains(loud.String(), "trace 4\n") ||
		!strings.HasPrefix(loud.String(), lines[0]) {
		t.Errorf("with --verbose: %q, want the error and the last 15 lines of output", loud.String())
	}
}
