package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe/probetest"
	"github.com/vlab-dev/vlab/provision"
)

func intp(i int) *int { return &i }

func probeLab(probes ...labfile.Probe) *labfile.Lab {
	return &labfile.Lab{Name: "t", Probes: probes}
}

func checkOne(t *testing.T, p labfile.Probe, f *probetest.Runner) Result {
	t.Helper()
	c := Checker{Clock: probetest.NewClock(time.Time{}), Dial: func(context.Context, string) (provision.Runner, error) { return f, nil }}
	if p.VM == "" {
		p.VM = "web"
	}
	r := c.Check(context.Background(), probeLab(p))
	if len(r.Results) != 1 {
		t.Fatalf("got %d results, want 1", len(r.Results))
	}
	return r.Results[0]
}

func TestExpectations(t *testing.T) {
	value := func(op string, th float64) labfile.Expect {
		return labfile.Expect{Value: &labfile.Value{Pattern: `errors=([0-9.]+)`, Op: op, Threshold: th}}
	}
	for _, tt := range []struct {
		name     string
		expect   labfile.Expect
		out      string
		exit     int
		want     Status
		observed string
		msg      string
	}{
		{"exit ok", labfile.Expect{Exit: intp(0)}, "", 0, Pass, "exit 0", ""},
		{"exit wrong", labfile.Expect{Exit: intp(0)}, "", 3, Fail, "exit 3", "exit status 3, want 0: some stderr"},
		{"match trailing newline", labfile.Expect{Match: "^200$"}, "200\n", 0, Pass, "200", ""},
		{"match fails", labfile.Expect{Match: "^200$"}, "502\n", 0, Fail, "502", `output "502" does not match "^200$"`},
		{"match and exit", labfile.Expect{Exit: intp(0), Match: "ok"}, "all ok", 1, Fail, "all ok", "exit status 1"},
		{"value <", value("<", 0.01), "errors=0.005\n", 0, Pass, "0.005", ""},
		{"value < fails", value("<", 0.01), "errors=0.2", 0, Fail, "0.2", "0.2 is not < 0.01"},
		{"value <=", value("<=", 1), "errors=1", 0, Pass, "1", ""},
		{"value >", value(">", 1), "errors=1", 0, Fail, "1", "1 is not > 1"},
		{"value >=", value(">=", 1), "errors=1", 0, Pass, "1", ""},
		{"value ==", value("==", 5), "errors=5.0", 0, Pass, "5", ""},
		{"value !=", value("!=", 5), "errors=5", 0, Fail, "5", "5 is not != 5"},
		{"value missing", value("<", 1), "nothing here", 0, Fail, "nothing here", "not found in output"},
		{"value not a number", value("<", 1), "errors=1.2.3", 0, Fail, "errors=1.2.3", "is not a number"},
		{"bad regexp", labfile.Expect{Match: "("}, "", 0, Error, "", "expect.match"},
		{"nothing expected", labfile.Expect{}, "", 0, Error, "", "none of exit"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := checkOne(t, labfile.Probe{Name: "p", Expect: tt.expect, Samples: 1}, &probetest.Runner{Replies: []probetest.Reply{{Stdout: tt.out, Stderr: "some stderr\n", Exit: tt.exit}}})
			if res.Status != tt.want || res.Observed != tt.observed || !strings.Contains(res.Message, tt.msg) {
				t.Errorf("got %s observed %q message %q; want %s observed %q message containing %q",
					res.Status, res.Observed, res.Message, tt.want, tt.observed, tt.msg)
			}
		})
	}
}

func TestHold(t *testing.T) {
	p := labfile.Probe{Name: "rate", Expect: labfile.Expect{Match: "ok"}, Samples: 1,
		Interval: labfile.Duration(3 * time.Second), Hold: labfile.Duration(30 * time.Second)}
	f := &probetest.Runner{Replies: []probetest.Reply{{Stdout: "ok"}}}
	res := checkOne(t, p, f)
	if res.Status != Pass || len(f.Cmds()) != 11 || res.Seconds != 30 {
		t.Errorf("got %s after %d runs in %gs, want pass after 11 runs in 30s (%s)", res.Status, len(f.Cmds()), res.Seconds, res.Message)
	}
	if res.Message != "held for 30s (11 samples)" {
		t.Errorf("message %q", res.Message)
	}

	// A failure part way stops sampling.
	f = &probetest.Runner{Replies: []probetest.Reply{{Stdout: "ok"}, {Stdout: "ok"}, {Stdout: "bad"}, {Stdout: "ok"}}}
	res = checkOne(t, p, f)
	if res.Status != Fail || len(f.Cmds()) != 3 || !strings.HasPrefix(res.Message, "sample 3: ") {
		t.Errorf("got %s after %d runs (%s), want fail at sample 3", res.Status, len(f.Cmds()), res.Message)
	}
}

func TestSamplesWithoutHold(t *testing.T) {
	f := &probetest.Runner{Replies: []probetest.Reply{{Stdout: "ok"}}}
	res := checkOne(t, labfile.Probe{Name: "p", Expect: labfile.Expect{Match: "ok"}, Samples: 5}, f)
	if res.Status != Pass || len(f.Cmds()) != 5 || res.Samples != 5 || res.Seconds != 8 {
		t.Errorf("got %s, %d runs, %d samples, %gs; want pass, 5, 5, 8s (default interval 2s)", res.Status, len(f.Cmds()), res.Samples, res.Seconds)
	}
}

func TestRunError(t *testing.T) {
	f := &probetest.Runner{Replies: []probetest.Reply{{Exit: -1, Err: errors.New("connection lost")}}}
	res := checkOne(t, labfile.Probe{Name: "p", Command: "true", Expect: labfile.Expect{Exit: intp(0)}}, f)
	if res.Status != Error || !strings.Contains(res.Message, "connection lost") {
		t.Errorf("got %s %q, want error with the cause", res.Status, res.Message)
	}
}

func TestCancelledWhileHolding(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &probetest.Runner{Replies: []probetest.Reply{{Stdout: "ok"}}, OnRun: func(string) { cancel() }}
	c := Checker{Clock: probetest.NewClock(time.Time{}), Dial: func(context.Context, string) (provision.Runner, error) { return f, nil }}
	r := c.Check(ctx, probeLab(labfile.Probe{Name: "p", VM: "web", Expect: labfile.Expect{Match: "ok"}, Samples: 3}))
	if r.Results[0].Status != Error || r.ExitCode() != 2 {
		t.Errorf("got %s, exit code %d; want error, 2", r.Results[0].Status, r.ExitCode())
	}
}

// TestVMs checks one dial per VM, concurrency across VMs, and that an
// unreachable VM is an error rather than a failure.
func TestVMs(t *testing.T) {
	var mu sync.Mutex
	dials := map[string]int{}
	var started sync.WaitGroup
	started.Add(2) // web and client probes must run at the same time
	both := make(chan struct{})
	go func() { started.Wait(); close(both) }()
	var once sync.Map
	wait := func(vm string) func(string) {
		return func(string) {
			if _, loaded := once.LoadOrStore(vm, true); !loaded {
				started.Done()
			}
			select {
			case <-both:
			case <-time.After(5 * time.Second):
				t.Error("probes of different VMs did not run concurrently")
			}
		}
	}
	dial := func(_ context.Context, vm string) (provision.Runner, error) {
		mu.Lock()
		dials[vm]++
		mu.Unlock()
		if vm == "db" {
			return nil, errors.New("ssh: handshake failed")
		}
		return &probetest.Runner{Replies: []probetest.Reply{{Stdout: "200"}}, OnRun: wait(vm)}, nil
	}
	ok := labfile.Expect{Match: "200"}
	lab := probeLab(
		labfile.Probe{Name: "a", VM: "web", Expect: ok},
		labfile.Probe{Name: "b", VM: "client", Expect: ok, Guard: true},
		labfile.Probe{Name: "c", VM: "web", Expect: ok},
	)
	r := Checker{Dial: dial, Clock: probetest.NewClock(time.Time{})}.Check(context.Background(), lab)
	if !r.Resolved() || r.ExitCode() != 0 || r.State != "resolved" {
		t.Errorf("not resolved: %+v", r)
	}
	if dials["web"] != 1 || dials["client"] != 1 {
		t.Errorf("dials %v, want one per VM", dials)
	}
	if !r.Results[1].Guard || r.Results[2].Name != "c" {
		t.Errorf("results out of order or guard lost: %+v", r.Results)
	}

	lab.Probes = append(lab.Probes, labfile.Probe{Name: "d", VM: "db", Expect: ok})
	r = Checker{Dial: func(ctx context.Context, vm string) (provision.Runner, error) {
		if vm == "db" {
			return nil, errors.New("ssh: handshake failed")
		}
		return &probetest.Runner{Replies: []probetest.Reply{{Stdout: "500"}}}, nil
	}, Clock: probetest.NewClock(time.Time{})}.Check(context.Background(), lab)
	if r.Resolved() || r.ExitCode() != 2 || r.State != "error" {
		t.Errorf("unreachable VM: resolved %v, exit %d, state %s", r.Resolved(), r.ExitCode(), r.State)
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), `probe "d" on db: connect to db: ssh: handshake failed`) {
		t.Errorf("Err() = %v", err)
	}
}

func TestReportExitCodes(t *testing.T) {
	for _, tt := range []struct {
		statuses []Status
		code     int
	}{
		{nil, 2},
		{[]Status{Pass, Pass}, 0},
		{[]Status{Pass, Fail}, 1},
		{[]Status{Fail, Error}, 2},
	} {
		var r Report
		for i, s := range tt.statuses {
			r.Results = append(r.Results, Result{Name: fmt.Sprint(i), Status: s})
		}
		if got := r.ExitCode(); got != tt.code {
			t.Errorf("%v: exit code %d, want %d", tt.statuses, got, tt.code)
		}
	}
}

func TestReportJSONAndText(t *testing.T) {
	f := &probetest.Runner{Replies: []probetest.Reply{{Stdout: "errors=0.5"}}}
	c := Checker{Clock: probetest.NewClock(time.Time{}), Dial: func(context.Context, string) (provision.Runner, error) { return f, nil }}
	r := c.Check(context.Background(), probeLab(
		labfile.Probe{Name: "rate", VM: "web", Expect: labfile.Expect{Value: &labfile.Value{Pattern: `errors=(\S+)`, Op: "<", Threshold: 0.01}}},
		labfile.Probe{Name: "up", VM: "web", Guard: true, Expect: labfile.Expect{Exit: intp(0)}},
	))
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.State != "unresolved" || *back.Results[0].Value != 0.5 || !back.Results[1].Guard {
		t.Errorf("round trip lost data: %s", data)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FAIL    rate", "0.5", "0.5 is not < 0.01", "PASS    up (guard)", "not resolved: 1 of 2 probes pass"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestCapped(t *testing.T) {
	c := Capped{Max: 4}
	n, err := c.Write([]byte("abcdef"))
	if n != 6 || err != nil || c.String() != "abcd" || !c.Truncated() {
		t.Errorf("Write = %d, %v; kept %q", n, err, c.String())
	}
}
