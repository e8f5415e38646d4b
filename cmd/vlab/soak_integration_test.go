//go:build integration

package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestIntegrationFaultSoak kills vlab (SIGKILL, no chance to clean up) at
// random moments during up, reset and standby preparation on real VMs,
// each time followed by a rerun of the same command, which must converge;
// at the end destroy must leave nothing of the instance. Kills are weighted
// toward reset (about half) and standby preparation (a third), which cost
// seconds: a kill during a provisioning up costs a provisioning, so only
// the first round kills one (up --fresh), and later ups start from the
// golden state. VLAB_SOAK_SEED replays a run; VLAB_SOAK_ROUNDS sets its
// length (20).
func TestIntegrationFaultSoak(t *testing.T) {
	afterTheLabs(t)
	timed(t)
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("VLAB_SOAK_SEED"), 10, 64); err == nil {
		seed = s
	}
	rounds := 20
	if n, err := strconv.Atoi(os.Getenv("VLAB_SOAK_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	t.Logf("seed %d (VLAB_SOAK_SEED=%d replays it), %d rounds", seed, seed, rounds)
	rnd := rand.New(rand.NewPCG(seed, seed))
	const id = "soak"
	in := []string{"--instance", id}
	vlab(t, append([]string{"destroy", "hello"}, in...)...)
	t.Cleanup(func() { vlab(t, append([]string{"destroy", "hello"}, in...)...) })

	var killedIn []string
	for round := 0; round < rounds; round++ {
		var args []string
		var within time.Duration
		// Each kill lands within the time the command takes here, so
		// that most land mid-way: up from the golden state and reset
		// take 1-2 s, a standby preparation 1-2.5 s.
		switch p := rnd.IntN(100); {
		case round == 0:
			args, within = []string{"up", "hello", "--fresh"}, 40*time.Second // hello provisions in about as long
		case p < 50:
			args, within = []string{"reset", "hello"}, 1500*time.Millisecond
		case p < 85:
			// A standby to prepare: a reset without one uses none and
			// leaves none ready.
			mustVlab(t, append([]string{"--standby=false", "reset", "hello"}, in...)...)
			args, within = []string{"standby", "hello"}, 2500*time.Millisecond
		default:
			args, within = []string{"up", "hello"}, 2*time.Second
		}
		args = append(args, in...)
		after := time.Duration(rnd.Int64N(int64(within)))
		done := killAfter(t, args, after)
		what := strings.Join(args[:2], " ")
		if done {
			t.Logf("round %d: %s finished before its kill at %s", round, what, after)
		} else {
			t.Logf("round %d: %s killed after %s", round, what, after.Round(time.Millisecond))
			killedIn = append(killedIn, what)
		}
		// The rerun: the same command (up without --fresh: it must pick up
		// what the killed one left, not throw a finished golden state away).
		rerun := append([]string{args[0], "hello"}, in...)
		if code, out, errOut := vlab(t, rerun...); code != 0 {
			t.Fatalf("round %d: rerun of %s after a kill at %s: exit %d\n%s%s", round, what, after, code, out, errOut)
		}
		if out := mustVlab(t, "ssh", "hello", "--instance", id, "--", "cat /etc/motd"); out != "vlab hello lab\n" {
			t.Fatalf("round %d: after the rerun the guest says %q", round, out)
		}
	}
	t.Logf("killed in: %s", strings.Join(killedIn, ", "))
	// What the soak did, for the run's record (without -v the log above
	// is shown only on failure).
	summary := fmt.Sprintf("seed %d, %d rounds, %d kills: %s\n", seed, rounds, len(killedIn), strings.Join(killedIn, ", "))
	if err := os.WriteFile(filepath.Join(artifactsDir(t, ""), "soak.txt"), []byte(summary), 0o644); err != nil {
		t.Logf("soak summary: %v", err)
	}

	uid := instanceUID(t, id)
	mustVlab(t, append([]string{"destroy", "hello"}, in...)...)
	if left := leftovers(t, uid); len(left) > 0 {
		t.Errorf("destroy left %v", left)
	}
	if _, err := os.Stat(filepath.Join(os.Getenv("VLAB_HOME"), "instances", id)); !os.IsNotExist(err) {
		t.Errorf("the instance's folder is left: %v", err)
	}
}

// killAfter runs vlab with args in a process of its own and SIGKILLs its
// process group after d; it tells whether the command ended first.
func killAfter(t *testing.T, args []string, d time.Duration) bool {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--labs", "../../labs"}, args...)...)
	cmd.Env = append(os.Environ(), runAsCLI+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
		return true
	case <-time.After(d):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return false
	}
}
