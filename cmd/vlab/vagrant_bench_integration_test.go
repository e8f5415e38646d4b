//go:build integration

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/instance"
)

// BenchmarkVagrantReset compares, on one hello lab run by the Vagrant
// driver, `vagrant snapshot restore` with `vlab reset`, each to the first
// successful SSH command (a fresh `vlab ssh` process). scripts/bench-reset runs it.
func BenchmarkVagrantReset(b *testing.B) {
	if _, err := exec.LookPath("vagrant"); err != nil {
		b.Skip("vagrant is not installed")
	}
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("VLAB_BENCH_RUNS")); err == nil && n > 0 {
		runs = n
	}
	const id = "vbench"
	vl := benchBin(b) // a fresh vlab process each command, as in BenchmarkReset
	h, err := instance.DefaultHome()
	if err != nil {
		b.Fatal(err)
	}
	vagrant := func(args ...string) {
		cmd := exec.Command("vagrant", args...)
		cmd.Dir = filepath.Join(instanceDir(b, h, id))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("vagrant %v: %v\n%s", args, err, out)
		}
	}
	firstSSH := func() { vl("ssh", id, "--", "true") }
	timeIt := func(f func()) time.Duration {
		start := time.Now()
		f()
		firstSSH()
		return time.Since(start)
	}
	vl("up", "--driver", "vagrant", "--instance", id, "hello")
	defer vl("destroy", id)

	// vagrant-libvirt's snapshots are internal ones, kept in the disk the
	// VM runs on, which vlab reset replaces: measure Vagrant's first.
	vagrant("snapshot", "save", "box", "bench")
	var snap, reset []time.Duration
	for i := 0; i < runs; i++ {
		snap = append(snap, timeIt(func() { vagrant("snapshot", "restore", "--no-provision", "box", "bench") }))
	}
	vagrant("snapshot", "delete", "box", "bench")
	// As in BenchmarkReset: each reset once the previous one's standby is
	// ready.
	for i := 0; i < runs; i++ {
		waitStandby(b, id)
		reset = append(reset, timeIt(func() { vl("reset", id) }))
	}
	ms, mr := median(snap), median(reset)
	fmt.Printf("\nVagrant driver, hello lab, %d runs each, time to the first SSH command (median)\n", runs)
	fmt.Printf("  vagrant snapshot restore            %6.2fs\n", ms.Seconds())
	fmt.Printf("  vlab reset                          %6.2fs\n", mr.Seconds())
	fmt.Printf("  ratio reset / vagrant restore       %6.2f  (target <= 0.15)\n", mr.Seconds()/ms.Seconds())
	fmt.Printf("  runs: vagrant %s; reset %s\n", secs(snap), secs(reset))
	b.ReportMetric(ms.Seconds(), "vagrant-restore-s")
	b.ReportMetric(mr.Seconds(), "reset-s")
}
