package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe/probetest"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/traffic"
)

// clientLab is a lab whose vm web runs client users (users' traffic, so
// check adds its guard) and whose one probe is spec.
func clientLab(t *testing.T, spec string) *labfile.Lab {
	t.Helper()
	return labWithProbe(t, "name: t\ntitle: t\nvms:\n  - name: web\ntriggers:\n  - name: users\n    vm: web\n    role: traffic\n"+
		"    client: {targets: [{url: 'http://127.0.0.1/'}]}\nprobes:\n  - name: p\n", spec)
}

// statsReply is what the probe's command prints: the unit's state, the
// guest's clock and a stats file written at 1000.2 holding seconds
// 990..999, each with ok 200s, bad 503s and errs timeouts, ok taking
// 20ms and the rest 3s.
func statsReply(state string, now float64, ok, bad, errs int) probetest.Reply {
	st := traffic.Stats{Format: traffic.StatsFormat, Client: "users", Written: 1000.2, Bounds: traffic.LatencyBounds}
	for t := int64(990); t < 1000; t++ {
		s := traffic.Second{T: t, Requests: ok + bad + errs, Codes: map[string]int{"200": ok, "503": bad},
			Errors: map[string]int{"timeout": errs}, Latency: make([]int, len(traffic.LatencyBounds)+1)}
		s.Latency[3] += ok // 25..50ms
		s.Latency[9] += bad + errs
		st.Seconds = append(st.Seconds, s)
	}
	b, _ := json.Marshal(st)
	return probetest.Reply{Stdout: fmt.Sprintf("%s\n%.3f\n%s", state, now, b)}
}

func TestClientStatsProbes(t *testing.T) {
	for _, tt := range []struct {
		name, spec string
		replies    []probetest.Reply
		want       Status
		observed   string
		msg        string
	}{
		{"error rate low", "error-rate: {client: users, max: 5%}", []probetest.Reply{statsReply("active", 1001, 99, 1, 0)},
			Pass, "1.0% failed (10 of 1000: 200=990 503=10)", ""},
		{"error rate counts timeouts", "error-rate: {client: users, max: 5%}", []probetest.Reply{statsReply("active", 1001, 90, 0, 10)},
			Fail, "10.0% failed (100 of 1000: 200=900 timeout=100)", "more than 5%"},
		{"error rate only what count names", "error-rate: {client: users, max: 5%, count: ['429']}", []probetest.Reply{statsReply("active", 1001, 50, 50, 0)},
			Pass, "0.0% failed (0 of 1000: 200=500 503=500)", ""},
		{"throughput of 2xx", "throughput: {client: users, codes: 2xx, min: 20}", []probetest.Reply{statsReply("active", 1001, 10, 30, 0)},
			Fail, "10.0/s 2xx answers (503=300 200=100)", "below 20/s"},
		{"latency", "latency: {client: users, quantile: 50, max: 100ms}", []probetest.Reply{statsReply("active", 1001, 90, 10, 0)},
			Pass, "p50 39ms (1000 requests)", ""},
		{"latency tail", "latency: {client: users, quantile: 99, max: 1s}", []probetest.Reply{statsReply("active", 1001, 90, 10, 0)},
			Fail, "p99 4.75s (1000 requests)", "above 1s"},
		{"client stopped", "error-rate: {client: users, max: 5%}", []probetest.Reply{statsReply("inactive", 1100, 99, 1, 0)},
			Fail, "client inactive", "not running"},
		{"stale stats are an error", "error-rate: {client: users, max: 5%}", []probetest.Reply{statsReply("active", 1100, 99, 1, 0)},
			Error, "", "stale (written 1m40s ago"},
		{"fresh after a reset", "error-rate: {client: users, max: 5%}",
			[]probetest.Reply{statsReply("active", 1100, 99, 1, 0), statsReply("active", 1001, 99, 1, 0)}, Pass, "1.0% failed (10 of 1000: 200=990 503=10)", ""},
		{"no stats", "throughput: {client: users, min: 1}", []probetest.Reply{{Stdout: "active\n1000.0\n", Stderr: "head: cannot open", Exit: 1}},
			Error, "", "has written no stats"},
		{"tampered stats", "throughput: {client: users, min: 1}", []probetest.Reply{{Stdout: "active\n1000.0\n{\"format\": 1, \"seconds\": 5}"}},
			Error, "", "stats file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := checkTyped(t, clientLab(t, tt.spec), replies(tt.replies...))
			res := r.Results[0]
			if res.Status != tt.want || res.Observed != tt.observed || !strings.Contains(res.Message, tt.msg) {
				t.Errorf("got %s observed %q message %q; want %s observed %q message containing %q",
					res.Status, res.Observed, res.Message, tt.want, tt.observed, tt.msg)
			}
		})
	}
}

// TestTrafficGuard: a users' traffic client is guarded without the lab
// saying so, and stopping it fails the check rather than erroring it.
func TestTrafficGuard(t *testing.T) {
	lab := clientLab(t, "vm: web\ntcp: {port: 80}")
	g := probetest.NewGuest(t, func(cmd, _ string) probetest.Reply {
		if strings.Contains(cmd, "vlab-trigger-users") {
			return statsReply("inactive", 1001, 0, 0, 0)
		}
		return probetest.Reply{}
	})
	conn := g.Dial(t)
	c := Checker{Clock: probetest.NewClock(time.Unix(1e9, 0)), Dial: func(context.Context, string) (provision.Runner, error) { return conn, nil }}
	r := c.Check(context.Background(), lab)
	if len(r.Results) != 2 || r.Results[1].Name != "users-keeps-flowing" || !r.Results[1].Guard {
		t.Fatalf("results: %+v, want the lab's probe and the client's guard", r.Results)
	}
	if r.Results[1].Status != Fail || r.ExitCode() != 1 {
		t.Errorf("guard of a stopped client: %s (%s), exit %d; want fail and exit 1", r.Results[1].Status, r.Results[1].Message, r.ExitCode())
	}
}
