package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// previewLab has trainee text, trainer text, and an inject of each shape:
// plain, attached, live and answer-giving.
func previewLab() *labfile.Lab {
	return &labfile.Lab{Name: "shop", Dir: "labs/shop", Title: "502 on every\n catalogue call",
		Summary: "The shop shows an **empty** catalogue.",
		Trainer: &labfile.Trainer{Title: "shop-api 2.8.0 moved its socket", Cause: "The new version listens elsewhere.", Notes: "Point at dpkg.log."},
		Injects: []labfile.Inject{
			{ID: "alert", Kind: "alert", Title: "5xx above 5%", Body: "**34%** of requests fail."},
			{ID: "graph", Kind: "graph", At: labfile.Duration(2 * time.Minute), Title: "Error rate", Attach: "graphs/5xx.png"},
			{ID: "log", Kind: "log", At: labfile.Duration(4 * time.Minute), Title: "nginx error log",
				Live: &labfile.Live{VM: "web", Command: "tail -n 5 /var/log/nginx/error.log"}},
			{ID: "cause", Kind: "cause", At: labfile.Duration(20 * time.Minute), Title: "The upgrade"},
		},
		Solution: &labfile.Solution{Summary: "Roll back.", Steps: []labfile.SolutionStep{{VM: "web", Run: "apt-get install shop-api=2.7.3-1"}}},
	}
}

// TestPreview: the briefing, then every inject in order, with no attempt
// times; a live inject names its command and VM and is not run; an
// attachment is named in the lab folder; no trainer text.
func TestPreview(t *testing.T) {
	var b strings.Builder
	if err := Preview(&b, previewLab(), RenderOptions{Width: 40}); err != nil {
		t.Fatal(err)
	}
	rule := strings.Repeat("─", 40)
	want := "502 on every catalogue call\n\nThe shop shows an empty catalogue.\n\n" + rule + "\n" +
		"[1/4] ALERT  5xx above 5%\nat 0s in the incident\n\n34% of requests fail.\n\n" + rule + "\n" +
		"[2/4] GRAPH  Error rate\nat 2m in the incident\n\nAttached: labs/shop/graphs/5xx.png\n\n" + rule + "\n" +
		"[3/4] LOG  nginx error log\nat 4m in the incident\n\n" +
		"Live from web, when revealed: $ tail -n 5 /var/log/nginx/error.log\n    (not run in a preview)\n\n" + rule + "\n" +
		"[4/4] CAUSE  The upgrade\nat 20m in the incident\n"
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}

	b.Reset()
	if err := Preview(&b, &labfile.Lab{Title: "Quiet"}, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "Quiet\n\nno injects: the trainee gets only the briefing above\n"; b.String() != want {
		t.Errorf("a lab without injects: %q, want %q", b.String(), want)
	}
}

// TestRenderSolutionTrainer: the trainer's cause and notes come before
// the fix; a lab with trainer text but no fix shows the text and says so.
func TestRenderSolutionTrainer(t *testing.T) {
	var b strings.Builder
	if err := RenderSolution(&b, previewLab(), RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "Cause: shop-api 2.8.0 moved its socket\n\nThe new version listens elsewhere.\n\n" +
		"Notes for the trainer:\nPoint at dpkg.log.\n\nThe fix on the day:\nRoll back.\n\nstep 1, in web:\n  apt-get install shop-api=2.7.3-1\n"
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	lab := previewLab()
	lab.Solution = nil
	b.Reset()
	if err := RenderSolution(&b, lab, RenderOptions{}); err != nil || !strings.HasSuffix(b.String(), "\nThe lab has no reference fix.\n") {
		t.Errorf("no fix: %v\n%s", err, b.String())
	}
}

// TestDebriefHeaderIsTheTrainees: the debrief names the lab by the
// trainee's title, never the trainer's cause, in text and JSON.
func TestDebriefHeaderIsTheTrainees(t *testing.T) {
	d := NewDebrief(previewLab(), nil)
	var b strings.Builder
	if err := d.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(d)
	for _, out := range []string{b.String(), string(js)} {
		if !strings.Contains(out, "502 on every") || strings.Contains(out, "socket") {
			t.Errorf("debrief header: %s", out)
		}
	}
}

// TestRenderStart: after up, the briefing (never the cause), then the
// commands to go on with, naming the instance and its trainee's VMs.
func TestRenderStart(t *testing.T) {
	var b strings.Builder
	if err := RenderStart(&b, previewLab(), "shop-2", []string{"web", "db"}, RenderOptions{Width: 80}); err != nil {
		t.Fatal(err)
	}
	want := "\n502 on every catalogue call\n\nThe shop shows an empty catalogue.\n\nWhat now:\n" +
		"  vlab inject shop-2      reveal the first sign of trouble, then the next\n" +
		"  vlab ssh shop-2 [vm]    investigate inside the VMs ([web db])\n" +
		"  vlab check shop-2       is the incident resolved?\n" +
		"  vlab reset shop-2       start over from the beginning, in seconds\n"
	if b.String() != want {
		t.Errorf("got:\n%q\nwant:\n%q", b.String(), want)
	}
}
