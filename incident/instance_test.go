package incident

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// TestNextAsking: an inject that gives the answer away is revealed only
// when confirm says yes, is asked about with the inject itself, and a no
// records nothing.
func TestNextAsking(t *testing.T) {
	s, _ := newSession(t)
	ctx := context.Background()
	var asked []string
	no := func(in labfile.Inject) bool { asked = append(asked, in.ID); return false }
	for range 3 {
		if _, err := s.NextAsking(ctx, no); err != nil {
			t.Fatal(err)
		}
	}
	if len(asked) != 0 {
		t.Errorf("asked about %v before the cause", asked)
	}
	if _, err := s.NextAsking(ctx, no); !errors.Is(err, ErrDeclined) || len(asked) != 1 || asked[0] != "cause" {
		t.Fatalf("declined cause: %v, asked %v", err, asked)
	}
	if _, err := s.NextAsking(ctx, nil); !errors.Is(err, ErrNeedsConfirm) {
		t.Fatalf("no one to ask: %v, want ErrNeedsConfirm", err)
	}
	sh, err := s.NextAsking(ctx, func(labfile.Inject) bool { return true })
	if err != nil || sh.Inject.ID != "cause" || sh.N != 4 {
		t.Errorf("confirmed: %+v, %v", sh, err)
	}
}

// TestRenderSolution: the summary, then each step with its VM; a step's
// text from the lab is sanitised; a lab without a solution says so.
func TestRenderSolution(t *testing.T) {
	lab := &labfile.Lab{Name: "shop", Solution: &labfile.Solution{Summary: "Restart it.", Steps: []labfile.SolutionStep{
		{VM: "web", Run: "systemctl restart nginx\x1b[2J\nsystemctl status nginx\n"},
		{VM: "db", File: &labfile.File{Src: "fix/my.cnf", Dest: "/etc/mysql/my.cnf"}},
	}}}
	var b bytes.Buffer
	if err := RenderSolution(&b, lab, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "Restart it.\n\nstep 1, in web:\n  systemctl restart nginx\n  systemctl status nginx\n\nstep 2, in db:\n  copy fix/my.cnf to /etc/mysql/my.cnf\n"
	if got := b.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if err := RenderSolution(&b, &labfile.Lab{Name: "shop"}, RenderOptions{}); err == nil || err.Error() != "lab shop has no solution" {
		t.Errorf("no solution: %v", err)
	}
}

// TestStartAttempt: an attempt recorded in an instance's folder is the
// one a session there sees.
func TestStartAttempt(t *testing.T) {
	dir := t.TempDir()
	if err := StartAttempt(dir, "reset"); err != nil {
		t.Fatal(err)
	}
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s := Session{Lab: testLab(), Journal: j}
	if a, err := s.Current(); err != nil || a.By != "reset" {
		t.Errorf("current attempt: %+v, %v", a, err)
	}
}
