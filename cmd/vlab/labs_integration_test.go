//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestIntegrationLabs runs `vlab test` on every incident lab under labs/
// on real VMs: up → check fails → solution → check passes → reset → check
// fails, then each tests/ fix must pass and each cheat must not, as CI's
// proof that the labs teach what they claim; destroy leaves nothing.
//
// Two labs at a time (GOMAXPROCS, two on CI's machines): a lab's test
// mostly waits on one guest's vCPU, so the second core would otherwise
// idle. The longest labs start first (labMinutes), so that the run does not
// end with one long lab alone on a core; t.Parallel would start them in
// no particular order (measured: the longest lab last, alone, 12 minutes).
func TestIntegrationLabs(t *testing.T) {
	timed(t)
	dirs, _ := filepath.Glob("../../labs/*/lab.yaml")
	type lab struct {
		name string
		cost float64
	}
	var labs []lab
	for _, f := range dirs {
		name := filepath.Base(filepath.Dir(f))
		if name == "hello" {
			continue // no incident; TestIntegrationHello covers it
		}
		labs = append(labs, lab{name, labCost(name)})
	}
	sort.SliceStable(labs, func(i, j int) bool { return labs[i].cost > labs[j].cost })
	queue := make(chan string, len(labs))
	for _, l := range labs {
		queue <- l.name
	}
	close(queue)
	var wg sync.WaitGroup
	for w := 0; w < max(1, runtime.GOMAXPROCS(0)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range queue {
				t.Run(name, func(t *testing.T) { testLab(t, name) })
			}
		}()
	}
	wg.Wait()
}

// labMinutes is about how long each lab's `vlab test` takes from a fresh
// golden store on CI's kind of machine, paired with another lab (sessions
// 10-11: text-cache-depooled 12.7 minutes alone; the two-VM labs about 15
// paired). Only the order matters: a lab not listed starts first, since a
// new lab's cost is not known yet.
var labMinutes = map[string]float64{
	"recent-changes-frozen": 15, "expensive-search": 15, "text-cache-depooled": 13,
	"upload-redirects": 11, "portal-redirect-loop": 11, "primary-read-only": 10,
	"too-many-requests": 9, "puppet-worker-connections": 8, "package-socket-move": 7,
	"config-typo-fatals": 6, // 4m36s alone, 5m19s-5m44s beside the full integration run (2026-12-04)
}

func labCost(name string) float64 {
	if m, ok := labMinutes[name]; ok {
		return m
	}
	return 1e9
}

func testLab(t *testing.T, name string) {
	timed(t)
	id := "it-" + name
	vlab(t, "destroy", name, "--instance", id)
	t.Cleanup(func() { vlab(t, "destroy", name, "--instance", id) })
	junit := filepath.Join(t.TempDir(), "junit.xml")
	start := time.Now()
	code, out, errOut := vlab(t, "test", name, "--instance", id, "--keep", "--junit", junit)
	took := time.Since(start).Round(time.Second)
	t.Logf("vlab test %s: %s (labMinutes orders the labs by this)", name, took)
	keepLabReport(t, name, fmt.Sprintf("vlab test %s: exit %d, %s\n%s%s", name, code, took, out, errOut))
	if code != 0 {
		t.Fatalf("vlab test %s: exit %d\n%s%s", name, code, out, errOut)
	}
	if b, err := os.ReadFile(junit); err != nil || !strings.Contains(string(b), `failures="0"`) {
		t.Errorf("junit report: %v\n%s", err, b)
	}
	uid := instanceUID(t, id)
	mustVlab(t, "destroy", name, "--instance", id)
	if left := leftovers(t, uid); len(left) > 0 {
		t.Errorf("destroy left %v", left)
	}
}

// keepLabReport writes a lab's `vlab test` output (each step's time, the
// up's provisioning) to labs/<lab>.txt in the test artifacts, so that every
// CI run records how long each lab took, fresh or from a golden state,
// without -v.
func keepLabReport(t *testing.T, name, report string) {
	if err := os.WriteFile(filepath.Join(artifactsDir(t, "labs"), name+".txt"), []byte(report), 0o644); err != nil {
		t.Logf("lab report: %v", err)
	}
}
