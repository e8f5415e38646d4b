package labfile_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

func TestClientFixtures(t *testing.T) {
	for _, tt := range []struct {
		file string
		want []string
	}{
		{"valid-clients.yaml", nil},
		{"invalid-clients.yaml", []string{
			`:6: triggers[0]: a trigger has one of command, client`,
			`:10: triggers[1].command: missing; a command, or client: for vlab's traffic client`,
			`:12: triggers[1].role: users' traffic is played by a client: give client:, or role: incident`,
			`:18: triggers[2].client.targets[0].url: "ftp://x/": want an http:// or https:// URL`,
			`:18: triggers[2].client.targets[0].method: "FETCH" is not one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS`,
			`:18: triggers[2].client.targets[0].weight: -1 is out of range 0..1000`,
			`:19: triggers[2].client.targets[1].url: "http://x/{a|b": a { that is not closed (write %7B for a literal brace)`,
			`:19: triggers[2].client.targets[1].headers: header "Bad Name": want a header name and a one-line value`,
			`:20: triggers[2].client.rate: -1 is out of range: 0 (as fast as concurrency allows) or 0.01..10000 requests a second`,
			`:21: triggers[2].client.timeout: 10m0s is out of range 0..5m`,
			`:22: triggers[2].client.sources[0]: "not-an-ip" is not an IP address`,
			`:23: triggers[2].client.slow.url: want a plain http:// or https:// URL`,
			`:23: triggers[2].client.slow.connections: 0 is out of range 1..10000`,
			`:15: triggers[2].role: "users" is not one of incident, traffic`,
			`:26: triggers[3].client: give targets, slow or both`,
			`:30: probes[0].error-rate.client: "nothing" is not a trigger with a client; those are: both, bad, empty`,
			`:30: probes[0].error-rate.max: "5" is not a percentage like 1% or 0.5%`,
			`:32: probes[1].vm: unknown VM "other"; the lab has edge`,
			`:32: probes[1].vm: "other": client bad runs in vm edge; leave vm out or name that one`,
			`:33: probes[1].throughput.window: 1h0m0s is out of range 1s..2m0s`,
			`:33: probes[1].throughput: say what rate is expected: at least one of min, max (answers per second)`,
			`:35: probes[2].latency.quantile: 101 is out of range: a percentile above 0, at most 100`,
			`:35: probes[2].latency.max: missing; the most time allowed, e.g. 500ms`,
		}},
	} {
		t.Run(tt.file, func(t *testing.T) { wantProblems(t, tt.file, tt.want) })
	}
}

func TestObserverRules(t *testing.T) {
	wantProblems(t, "invalid-observer.yaml", []string{
		":8: vms[2].observer: the lab already has an observer, watch; it has at most one",
		`:11: probes[0].vm: "web": in a lab with an observer, a probe that decides users are served runs on the observer (watch), where the trainee cannot fake it; make this one a guard, or run it from watch`,
		`:22: solution.steps[0].vm: "watch" is the observer: a fix happens in the trainee's VMs`,
	})
}

func TestClientDefaultsAndGuards(t *testing.T) {
	lab, err := labfile.Load(filepath.Join("testdata", "valid-clients.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if lab.Probes[0].VM != "client" || lab.Probes[2].VM != "client" {
		t.Errorf("stats probes without vm run where their client does: %q, %q", lab.Probes[0].VM, lab.Probes[2].VM)
	}
	if w := lab.Probes[0].ErrorRate.Window.D(); w != labfile.DefaultClientWindow {
		t.Errorf("error-rate window %s, want the default", w)
	}
	if c := lab.Probes[0].ErrorRate.Count; len(c) != 2 || c[0] != "5xx" {
		t.Errorf("error-rate counts %v by default", c)
	}
	if q := lab.Probes[2].Latency.Quantile; q != 99 {
		t.Errorf("latency quantile %v", q)
	}
	if lab.Triggers[1].Role != labfile.RoleIncident {
		t.Errorf("a trigger's role defaults to incident, got %q", lab.Triggers[1].Role)
	}
	g := lab.Guards()
	if len(g) != 1 || g[0].Throughput == nil || g[0].Throughput.Client != "shoppers" || !g[0].Guard || g[0].VM != "client" ||
		g[0].Throughput.Window.D() != 10*time.Second {
		t.Errorf("guards of the users' traffic: %+v", g)
	}
	lab.Triggers[0].Client.Timeout = labfile.Duration(40 * time.Second) // long-polls
	if w := lab.Guards()[0].Throughput.Window.D(); w != 40*time.Second {
		t.Errorf("the guard of a client with a 40s timeout looks over %s, want 40s", w)
	}
}

// TestCauseProbesNeedASymptom: with only cause probes and guards,
// mitigated could never hold.
func TestCauseProbesNeedASymptom(t *testing.T) {
	yaml := "name: c\ntitle: c\nvms:\n  - name: web\nprobes:\n  - name: gone\n    vm: web\n    cause: true\n    command: 'true'\n    expect: {exit: 0}\n"
	if _, err := labfile.Parse("c.yaml", []byte(yaml)); err == nil || !strings.Contains(err.Error(), "mitigated can never hold") {
		t.Errorf("a lab of cause probes only: %v", err)
	}
}
