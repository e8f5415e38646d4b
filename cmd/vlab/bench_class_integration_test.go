//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/instance"
)

// BenchmarkClassroom measures, in one run on a lab (VLAB_BENCH_LAB, default
// hello), the first
// instance's `vlab up` (it provisions and keeps its golden state for the
// host) against later instances' (they adopt it), each to the first
// successful SSH command, and the memory each instance takes once its
// standby waits (the resident memory of its QEMU processes).
// scripts/bench-class runs it; VLAB_BENCH_RUNS sets the later instances.
func BenchmarkClassroom(b *testing.B) {
	runs := benchRuns(3)
	must := benchVlab(b)
	lab := os.Getenv("VLAB_BENCH_LAB")
	if lab == "" {
		lab = "hello"
	}
	ids := []string{"class-0"}
	for i := 1; i <= runs; i++ {
		ids = append(ids, fmt.Sprintf("class-%d", i))
	}
	for _, id := range ids {
		must("destroy", lab, "-i", id)
		defer must("destroy", lab, "-i", id)
	}
	must("golden", "rm", lab) // the first instance must provision
	var ups []time.Duration
	for _, id := range ids {
		start := time.Now()
		must("up", lab, "-i", id)
		must("ssh", lab, "-i", id, "--", "true")
		ups = append(ups, time.Since(start))
	}
	var rss []int64
	for _, id := range ids {
		waitStandby(b, id)
		rss = append(rss, instanceRSS(b, id))
	}
	later := median(ups[1:])
	fmt.Printf("\nclassroom benchmark, lab %s, time to the first SSH command after vlab up\n", lab)
	fmt.Printf("  first instance (provisions)         %7.2fs\n", ups[0].Seconds())
	fmt.Printf("  later instances (adopt), median     %7.2fs   runs %s\n", later.Seconds(), secs(ups[1:]))
	fmt.Printf("  ratio later / first                 %7.3f  (target <= 0.15)\n", later.Seconds()/ups[0].Seconds())
	fmt.Printf("  resident memory per instance, VM and standby: %s MiB\n", mib(rss))
	b.ReportMetric(later.Seconds()/ups[0].Seconds(), "later/first")
}

// instanceRSS is the resident memory of the QEMU processes running
// instance id's domains (its VMs and their standbys), in bytes.
func instanceRSS(b *testing.B, id string) int64 {
	st, err := instance.LoadState(instanceDir(b, instance.Home{Dir: os.Getenv("VLAB_HOME")}, id))
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(cmd), "qemu") {
			continue
		}
		for _, v := range st.VMs {
			own := strings.TrimSuffix(v.Domain, "_b")
			if strings.Contains(string(cmd), "guest="+own+",") || strings.Contains(string(cmd), "guest="+own+"_b,") {
				total += rssOf(filepath.Dir(p))
				break
			}
		}
	}
	return total
}

func rssOf(proc string) int64 {
	b, _ := os.ReadFile(filepath.Join(proc, "status"))
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(bs []int64) string {
	var s []string
	for _, b := range bs {
		s = append(s, strconv.FormatInt(b>>20, 10))
	}
	return strings.Join(s, ", ")
}
