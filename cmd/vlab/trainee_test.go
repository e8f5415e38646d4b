package main

import (
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// traineeLab is a lab whose trainee's text names the symptom and whose
// trainer's text names the cause ("socket").
const traineeLab = `name: shop
title: "502 on every catalogue call"
summary: The shop shows an **empty** catalogue.
vms:
  - name: web
injects:
  - id: alert
    at: 0s
    kind: alert
    title: 5xx above 5%
  - id: errlog
    at: 4m
    kind: log
    title: nginx error log
    live: {vm: web, command: tail -n 5 /var/log/nginx/error.log}
trainer:
  title: shop-api 2.8.0 moved its socket
  cause: The new version listens on another socket.
  notes: Point at dpkg.log when stuck.
solution:
  summary: Roll back.
  steps: [{vm: web, run: apt-get install shop-api=2.7.3-1}]
`

// TestLabsTraineeAndTrainer: `vlab labs` shows only the trainee's title,
// in the table and in JSON; `--trainer` adds the cause.
func TestLabsTraineeAndTrainer(t *testing.T) {
	labs := writeLab(t, t.TempDir(), "shop", traineeLab)
	home := t.TempDir()
	for _, args := range [][]string{{"labs"}, {"labs", "--json"}} {
		code, out, errOut := runVlab(t, home, append([]string{"--labs", labs}, args...)...)
		if code != 0 || !strings.Contains(out, "502 on every catalogue call") || strings.Contains(out, "socket") {
			t.Errorf("vlab %v: exit %d, the cause shown or the title missing:\n%s%s", args, code, out, errOut)
		}
	}
	code, out, errOut := runVlab(t, home, "--labs", labs, "labs", "--trainer")
	if code != 0 || !strings.Contains(out, "CAUSE") || !strings.Contains(out, "502 on every catalogue call  shop-api 2.8.0 moved its socket") {
		t.Errorf("labs --trainer: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runVlab(t, home, "--labs", labs, "labs", "--trainer", "--json")
	var got []struct {
		Trainer struct{ Title, Cause, Notes string }
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || len(got) != 1 ||
		got[0].Trainer.Title != "shop-api 2.8.0 moved its socket" || got[0].Trainer.Notes == "" {
		t.Errorf("labs --trainer --json: exit %d, %v\n%s", code, err, out)
	}
}

// TestPreviewCommand: every inject, without an instance; the live one
// names its command and is not run (there is no VM to run it in).
func TestPreviewCommand(t *testing.T) {
	labs := writeLab(t, t.TempDir(), "shop", traineeLab)
	code, out, errOut := runVlab(t, t.TempDir(), "--labs", labs, "preview", "shop")
	for _, want := range []string{"502 on every catalogue call\n\nThe shop shows an empty catalogue.\n",
		"[1/2] ALERT  5xx above 5%\nat 0s in the incident\n",
		"[2/2] LOG  nginx error log\n", "Live from web, when revealed: $ tail -n 5 /var/log/nginx/error.log\n    (not run in a preview)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if code != 0 || strings.Contains(out, "socket") {
		t.Errorf("preview: exit %d, or shows the cause:\n%s%s", code, out, errOut)
	}
	if code, _, errOut := runVlab(t, t.TempDir(), "--labs", labs, "preview"); code != 2 || !strings.Contains(errOut, "missing lab") {
		t.Errorf("preview without a lab: exit %d: %s", code, errOut)
	}
}

// TestSolutionShowsTheCause: `vlab solution` is the trainer's: the cause,
// the notes, then the fix.
func TestSolutionShowsTheCause(t *testing.T) {
	labs := writeLab(t, t.TempDir(), "shop", traineeLab)
	code, out, errOut := runVlab(t, t.TempDir(), "--labs", labs, "solution", "shop")
	want := "Cause: shop-api 2.8.0 moved its socket\n\nThe new version listens on another socket.\n\n" +
		"Notes for the trainer:\nPoint at dpkg.log when stuck.\n\nThe fix on the day:\nRoll back.\n"
	if code != 0 || !strings.HasPrefix(out, want) {
		t.Errorf("solution: exit %d\n%s%s\nwant it to start\n%s", code, out, errOut, want)
	}
}

// TestValidateWarnsOfAGiveaway: a trainee's title that repeats the cause
// is a warning, printed, and validate still exits 0.
func TestValidateWarnsOfAGiveaway(t *testing.T) {
	labs := writeLab(t, t.TempDir(), "shop", strings.Replace(traineeLab,
		`title: "502 on every catalogue call"`, `title: "shop-api moved its socket: 502"`, 1))
	code, out, errOut := runVlab(t, t.TempDir(), "--labs", labs, "validate", "shop")
	want := filepath.Join(labs, "shop", "lab.yaml") + `:2: title: warning: repeats the cause's words "shop-api", "moved", "socket"`
	if code != 0 || !strings.Contains(out, want) || !strings.Contains(out, "ok: shop") {
		t.Errorf("validate: exit %d, want 0 with\n%s\ngot:\n%s%s", code, want, out, errOut)
	}
}

// TestUpPrintsTheTraineesTitle: after `up`, the trainee reads the title
// and summary, never the trainer's cause.
func TestUpPrintsTheTraineesTitle(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	labs := writeLab(t, t.TempDir(), "shop", traineeLab)
	var out, errb strings.Builder
	code := runWith(context.Background(), []string{"vlab", "--labs", labs, "up", "shop"}, strings.NewReader(""), &out, &errb, f.open)
	want := "\n502 on every catalogue call\n\nThe shop shows an empty catalogue.\n\nWhat now:\n"
	if code != 0 || !strings.HasPrefix(out.String(), want) || strings.Contains(out.String()+errb.String(), "socket") {
		t.Errorf("up: exit %d, want stdout to start %q without the cause\nstdout: %s\nstderr: %s", code, want, out.String(), errb.String())
	}
}
