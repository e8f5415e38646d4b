//go:build integration

package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationIncident reveals injects (one live) and runs a failing then
// passing check on a real VM, then reads the debrief.
func TestIntegrationIncident(t *testing.T) {
	timed(t)
	labsDir := t.TempDir()
	write(t, filepath.Join(labsDir, "tiny", "lab.yaml"), `name: tiny
title: A flag went missing
vms:
  - name: box
    memory: 384
injects:
  - id: alert
    kind: alert
    title: FlagMissing firing
    body: The **flag** file is gone.
  - id: now
    at: 1m
    kind: log
    title: What the box says now
    live:
      vm: box
      command: cat /etc/status-now
  - id: fix
    at: 2m
    kind: fix
    title: Put the flag back
    body: "touch /etc/flag"
probes:
  - name: flag-present
    vm: box
    command: test -e /etc/flag
    expect:
      exit: 0
  - name: sshd-running
    vm: box
    guard: true
    command: systemctl is-active ssh
    expect:
      match: ^active$
solution:
  summary: Create the flag.
  steps:
    - vm: box
      run: touch /etc/flag
`)
	v := func(args ...string) string { return mustVlab(t, append([]string{"--labs", labsDir}, args...)...) }
	run := func(args ...string) (int, string) {
		c, out, _ := vlab(t, append([]string{"--labs", labsDir}, args...)...)
		return c, out
	}
	vlab(t, "--labs", labsDir, "destroy", "tiny")
	t.Cleanup(func() { vlab(t, "--labs", labsDir, "destroy", "tiny") })
	v("up", "tiny")

	if out := v("inject", "tiny"); !strings.Contains(out, "FlagMissing firing") {
		t.Errorf("first inject: %q", out)
	}
	v("ssh", "tiny", "--", "echo written-after-up > /etc/status-now")
	if out := v("inject", "tiny"); !strings.Contains(out, "written-after-up") {
		t.Errorf("live inject does not show the VM's current state: %q", out)
	}
	if c, _ := run("inject", "tiny"); c == 0 {
		t.Errorf("a fix inject was revealed without confirmation")
	}
	if out := v("inject", "tiny", "--yes"); !strings.Contains(out, "Put the flag back") {
		t.Errorf("fix inject with --yes: %q", out)
	}
	if out := v("inject", "tiny", "--list"); strings.Count(out, "\n") < 3 {
		t.Errorf("inject --list: %q", out)
	}

	c, out := run("check", "tiny", "--json")
	if c != 1 || !strings.Contains(out, `"flag-present"`) {
		t.Fatalf("check before the fix: exit %d, %s", c, out)
	}
	v("ssh", "tiny", "--", "touch /etc/flag")
	if c, out := run("check", "tiny"); c != 0 {
		t.Fatalf("check after the fix: exit %d, %s", c, out)
	}
	v("ssh", "tiny", "--", "systemctl stop ssh.socket ssh; nohup sh -c 'sleep 1; pkill sshd' >/dev/null 2>&1 &")
	// Every sshd goes, the one serving the shared login too (its socket
	// then closes): wait for it.
	time.Sleep(3 * time.Second)
	if c, _ := run("check", "tiny"); c != 2 {
		t.Errorf("check with sshd gone exits %d, want 2 (error, not a verdict)", c)
	}
	v("reset", "tiny")
	if c, _ := run("check", "tiny"); c != 1 {
		t.Errorf("check after reset exits %d, want 1", c)
	}
	// The timeline on its own clock, 600 times faster: 2 minutes in 0.2 s.
	if out := v("play", "tiny", "--speed", "600", "--yes"); !strings.Contains(out, "FlagMissing firing") ||
		!strings.Contains(out, "cat /etc/status-now") || !strings.Contains(out, "Put the flag back") {
		t.Errorf("play did not reveal the whole timeline: %q", out)
	}

	var d struct {
		Attempts []struct {
			Resolved bool `json:"resolved"`
		} `json:"attempts"`
	}
	out = v("debrief", "tiny", "--json")
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != 2 || !d.Attempts[0].Resolved || d.Attempts[1].Resolved {
		t.Errorf("debrief attempts = %+v, want [resolved, not resolved]: %s", d.Attempts, out)
	}
}
