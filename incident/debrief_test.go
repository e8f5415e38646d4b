package incident

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe"
)

func TestDebrief(t *testing.T) {
	s, clock := newSession(t)
	ctx := context.Background()
	fail := probe.Report{Results: []probe.Result{{Status: probe.Fail}, {Status: probe.Pass}}}
	pass := probe.Report{Results: []probe.Result{{Status: probe.Pass}, {Status: probe.Pass}}}

	// Attempt 1: two injects, a failing check, a third inject, resolved at
	// 12m30s, then one more inject and check.
	s.Next(ctx, false)
	clock.Advance(3 * time.Minute)
	s.Next(ctx, false)
	clock.Advance(2 * time.Minute)
	s.RecordCheck(fail)
	clock.Advance(time.Minute)
	s.Next(ctx, false)
	clock.Advance(6*time.Minute + 30*time.Second)
	s.RecordCheck(pass)
	clock.Advance(time.Minute)
	s.Next(ctx, true)
	s.RecordCheck(pass)

	// Attempt 2: the reference fix, then a passing check; attempt 3 untouched.
	clock.Advance(time.Hour)
	s.StartAttempt("reset")
	clock.Advance(time.Minute)
	s.RecordSolve()
	s.RecordCheck(pass)
	clock.Advance(time.Hour)
	s.StartAttempt("reset")
	s.Next(ctx, false)

	as, err := s.Journal.Attempts()
	if err != nil {
		t.Fatal(err)
	}
	d := NewDebrief(s.Lab, as)
	if len(d.Attempts) != 3 {
		t.Fatalf("%d attempts, want 3", len(d.Attempts))
	}
	a := d.Attempts[0]
	if !a.Resolved || a.ResolveSeconds != 750 || a.InjectsUsed != 3 || a.ChecksToResolve != 2 || a.Checks != 3 || a.UsedSolution {
		t.Errorf("attempt 1: %+v", a)
	}
	if e := a.Timeline[1]; e.IncidentSeconds != 240 || e.YouSeconds == nil || *e.YouSeconds != 180 {
		t.Errorf("timeline entry: %+v", e)
	}
	if a.Timeline[4].YouSeconds != nil {
		t.Error("fix never revealed, yet has a time")
	}
	if b := d.Attempts[1]; !b.Resolved || !b.UsedSolution || b.ResolveSeconds != 60 || b.By != "reset" {
		t.Errorf("attempt 2: %+v", b)
	}
	if c := d.Attempts[2]; c.Resolved || c.InjectsUsed != 1 || c.Checks != 0 {
		t.Errorf("attempt 3: %+v", c)
	}

	var b strings.Builder
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Debrief: hello (Hello)",
		"Attempt 1, started by up ",
		"  resolved in 12m30s, after 3 of 5 injects and 2 checks\n",
		"  2  graph     graph  4m        3m\n",
		"  5  fix       fix    25m       -\n",
		"     resolved         -         12m30s\n",
		"(with the reference fix applied)",
		"  not resolved; 1 of 5 injects revealed, 0 checks run\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}

	data, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"resolve_seconds":750`, `"injects_used":3`, `"incident_seconds":240,"you_seconds":180`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("JSON lacks %s: %s", want, data)
		}
	}
}

// TestDebriefMitigated: a check that finds users served before the cause
// is gone marks the attempt mitigated, and the day's own times stand
// beside the trainee's.
func TestDebriefMitigated(t *testing.T) {
	s, clock := newSession(t)
	s.Lab.Outage = &labfile.Outage{Mitigated: labfile.Duration(29 * time.Minute), Resolved: labfile.Duration(36 * time.Minute)}
	fail := probe.Report{Results: []probe.Result{{Status: probe.Fail}, {Status: probe.Fail, Cause: true}}}
	mitigated := probe.Report{Results: []probe.Result{{Status: probe.Pass}, {Status: probe.Fail, Cause: true}}}
	resolved := probe.Report{Results: []probe.Result{{Status: probe.Pass}, {Status: probe.Pass, Cause: true}}}
	if !mitigated.Mitigated() || mitigated.Resolved() || fail.Mitigated() || !resolved.Mitigated() {
		t.Fatal("Mitigated and Resolved disagree with the results")
	}
	ctx := context.Background()
	clock.Advance(time.Minute)
	s.Next(ctx, false)
	s.RecordCheck(fail)
	clock.Advance(2 * time.Minute)
	s.RecordCheck(mitigated)
	clock.Advance(time.Minute)
	s.Next(ctx, false)
	clock.Advance(time.Minute)
	s.RecordCheck(resolved)
	as, err := s.Journal.Attempts()
	if err != nil {
		t.Fatal(err)
	}
	d := NewDebrief(s.Lab, as)
	a := d.Attempts[0]
	if !a.Mitigated || a.MitigateSeconds != 180 || !a.Resolved || a.ResolveSeconds != 300 || a.InjectsToMitigate != 1 || a.InjectsUsed != 2 {
		t.Errorf("attempt: %+v", a)
	}
	var b strings.Builder
	d.WriteText(&b)
	for _, want := range []string{
		"On the day: mitigated after 29m, resolved after 36m (from the outage's start)\n",
		"  mitigated in 3m (users served again), after 1 of 5 injects\n",
		"     mitigated         29m       3m\n",
		"     resolved          36m       5m\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	data, _ := json.Marshal(d)
	if !strings.Contains(string(data), `"on_the_day":{"mitigate_seconds":1740,"resolve_seconds":2160}`) || !strings.Contains(string(data), `"mitigate_seconds":180`) {
		t.Errorf("JSON: %s", data)
	}
}

func TestDebriefEmpty(t *testing.T) {
	var b strings.Builder
	NewDebrief(testLab(), nil).WriteText(&b)
	if !strings.Contains(b.String(), "no attempt recorded yet") {
		t.Errorf("got %q", b.String())
	}
}

// TestDebriefTitleSanitised: the lab's title reaches the terminal without
// its escape sequences.
func TestDebriefTitleSanitised(t *testing.T) {
	d := Debrief{Lab: "x", Title: "Outage\x1b]52;c;ZWNobyBwd25lZAo=\x07 at noon"}
	var b strings.Builder
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "Outage at noon") {
		t.Errorf("debrief = %q", out)
	}
}
