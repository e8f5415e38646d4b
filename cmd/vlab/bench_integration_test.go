//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/probe"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// BenchmarkReset measures, in one run on the hello lab, the time to the
// first successful SSH command after: `vlab reset` from a warm standby and
// from a cold one, `vlab up` from the cached golden state (after `vlab
// down`), and libvirt's revert to an internal snapshot (the baseline).
// Every command is a fresh process of a vlab binary built for the run, as
// a trainee types it: no connection outlives a command.
// scripts/bench-reset runs it.
func BenchmarkReset(b *testing.B) {
	runs := benchRuns(5)
	must := benchBin(b)
	firstSSH := func() { must("ssh", "hello", "--", "true") }
	timeIt := func(f func()) time.Duration {
		start := time.Now()
		f()
		firstSSH()
		return time.Since(start)
	}
	must("up", "hello")
	defer must("destroy", "hello")

	// A reset is timed once the standby the previous one started is
	// ready (a trainee resets minutes apart, not seconds); the back-to-back
	// series shows a reset that must wait for it. A reset with --warm=false
	// leaves the next standby cold: the cold series shows what warming
	// standbys gives.
	var reset, cold, again, up, revert []time.Duration
	for i := 0; i < runs; i++ {
		waitStandby(b, "hello")
		reset = append(reset, timeIt(func() { must("reset", "hello") }))
	}
	must("--warm=false", "reset", "hello")
	for i := 0; i < runs; i++ {
		waitStandby(b, "hello")
		cold = append(cold, timeIt(func() { must("--warm=false", "reset", "hello") }))
	}
	for i := 0; i < runs; i++ {
		again = append(again, timeIt(func() { must("reset", "hello") }))
	}
	// A trainee who resets 5 s after the previous reset or up finds the
	// standby still being prepared (it starts 1 s after the command, then restores and warms it).
	var soon []time.Duration
	for i := 0; i < runs; i++ {
		waitStandby(b, "hello")
		must("reset", "hello")
		firstSSH()
		time.Sleep(5 * time.Second)
		soon = append(soon, timeIt(func() { must("reset", "hello") }))
	}
	for i := 0; i < runs; i++ {
		must("down", "hello")
		up = append(up, timeIt(func() { must("up", "hello") }))
	}
	waitStandby(b, "hello")
	check := benchCheck(b, runs)
	waitStandby(b, "hello")
	revert = benchInternal(b, runs, firstSSH)

	mr, mc, ma, mu, mv := median(reset), median(cold), median(again), median(up), median(revert)
	fmt.Printf("\nreset benchmark, hello lab, %d runs each, time to the first SSH command (median), each command a fresh process\n", runs)
	fmt.Printf("  vlab reset (warm standby ready)     %6.2fs  (target <= 0.50)\n", mr.Seconds())
	fmt.Printf("  vlab reset (cold standby ready)     %6.2fs  (warm / cold %.2f)\n", mc.Seconds(), mr.Seconds()/mc.Seconds())
	fmt.Printf("  vlab reset right after a reset      %6.2fs\n", ma.Seconds())
	fmt.Printf("  vlab reset 5 s after a reset        %6.2fs  (%.2f x the first; target <= 2)\n", median(soon).Seconds(), median(soon).Seconds()/mr.Seconds())
	fmt.Printf("  vlab up from the golden state       %6.2fs\n", mu.Seconds())
	fmt.Printf("  vlab check beyond its probes        %6.2fs  (target <= 0.20; runs %s)\n", median(check).Seconds(), secs(check))
	fmt.Printf("  libvirt internal snapshot revert    %6.2fs\n", mv.Seconds())
	fmt.Printf("  ratio reset / internal revert       %6.2f  (target <= 0.25; cold standby %.2f)\n", mr.Seconds()/mv.Seconds(), mc.Seconds()/mv.Seconds())
	fmt.Printf("  runs: reset %s; cold %s; after a reset %s; 5 s after %s; up %s; revert %s\n", secs(reset), secs(cold), secs(again), secs(soon), secs(up), secs(revert))
	fmt.Printf("  ratio up-from-golden / internal     %6.2f\n", mu.Seconds()/mv.Seconds())
	b.ReportMetric(mr.Seconds(), "reset-s")
	b.ReportMetric(mv.Seconds(), "revert-s")
}

// benchBin builds vlab once for the benchmark and returns a function that
// runs it on the repository's labs as a new process, failing on an error.
func benchBin(b *testing.B) func(args ...string) {
	bin := filepath.Join(b.TempDir(), "vlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build vlab: %v\n%s", err, out)
	}
	return func(args ...string) {
		cmd := exec.Command(bin, append([]string{"--labs", "../../labs"}, args...)...)
		cmd.Env = append(os.Environ(), "VLAB_WARM=1") // the tests' setup turns it off; --warm=false still does

		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("vlab %v: %v\n%s", args, err, out)
		}
	}
}

// benchRuns is VLAB_BENCH_RUNS, else def.
func benchRuns(def int) int {
	if n, err := strconv.Atoi(os.Getenv("VLAB_BENCH_RUNS")); err == nil && n > 0 {
		return n
	}
	return def
}

// benchVlab runs vlab commands that must succeed, on the repository's labs.
func benchVlab(b *testing.B) func(args ...string) {
	return func(args ...string) {
		var out, errb stringsBuilder
		if code := run(context.Background(), append([]string{"vlab", "--labs", "../../labs"}, args...), nil, &out, &errb); code != 0 {
			b.Fatalf("vlab %v: exit %d: %s", args, code, errb.String())
		}
	}
}

// benchCheck times `vlab check hello` as a whole and takes away what its
// probes took (as the report gives it): vlab's own overhead.
func benchCheck(b *testing.B, runs int) []time.Duration {
	var out []time.Duration
	for i := 0; i < runs; i++ {
		var o, e stringsBuilder
		start := time.Now()
		run(context.Background(), []string{"vlab", "--labs", "../../labs", "check", "--json", "hello"}, nil, &o, &e)
		total := time.Since(start)
		var r probe.Report
		if err := json.Unmarshal([]byte(o.String()), &r); err != nil {
			b.Fatalf("check --json: %v: %s%s", err, o.String(), e.String())
		}
		var probes float64
		for _, res := range r.Results {
			probes = max(probes, res.Seconds) // VMs are probed at once; one VM here
		}
		out = append(out, total-time.Duration(probes*float64(time.Second)))
	}
	return out
}

// benchInternal takes an internal snapshot of the hello VM and times
// reverting to it.
func benchInternal(b *testing.B, runs int, firstSSH func()) []time.Duration {
	ctx := context.Background()
	d, err := libvirt.Connect(ctx, libvirt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	st, err := instance.LoadState(instanceDir(b, instance.Home{Dir: os.Getenv("VLAB_HOME")}, "hello"))
	if err != nil {
		b.Fatal(err)
	}
	dom := st.VMs["box"].Domain
	if err := d.InternalSnapshot(ctx, dom, "vlab-bench"); err != nil {
		b.Fatal(err)
	}
	var out []time.Duration
	for i := 0; i < runs; i++ {
		start := time.Now()
		if err := d.RevertInternal(ctx, dom, "vlab-bench"); err != nil {
			b.Fatal(err)
		}
		firstSSH()
		out = append(out, time.Since(start))
	}
	return out
}

// secs lists durations in seconds, in run order.
func secs(ds []time.Duration) string {
	var b strings.Builder
	for i, d := range ds {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.2f", d.Seconds())
	}
	return b.String()
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

type stringsBuilder struct{ b []byte }

func (s *stringsBuilder) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *stringsBuilder) String() string              { return string(s.b) }
