package incident

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe/probetest"
	"github.com/vlab-dev/vlab/provision"
)

func TestNextInOrderWithConfirmation(t *testing.T) {
	s, clock := newSession(t)
	ctx := context.Background()
	for i, id := range []string{"alert", "graph", "hint"} {
		clock.Advance(time.Minute)
		sh, err := s.Next(ctx, false)
		if err != nil {
			t.Fatal(err)
		}
		if sh.Inject.ID != id || sh.N != i+1 || sh.Of != 5 || sh.Since != time.Duration(i+1)*time.Minute {
			t.Errorf("reveal %d: got %s %d/%d at %s", i+1, sh.Inject.ID, sh.N, sh.Of, sh.Since)
		}
	}
	// A cause needs confirmation, and nothing is recorded without it.
	for range 2 {
		if _, err := s.Next(ctx, false); !errors.Is(err, ErrNeedsConfirm) || !strings.Contains(err.Error(), `inject 4 of 5 (cause, "cause")`) {
			t.Fatalf("unconfirmed cause: %v", err)
		}
	}
	for _, id := range []string{"cause", "fix"} {
		sh, err := s.Next(ctx, true)
		if err != nil || sh.Inject.ID != id {
			t.Fatalf("confirmed: %s, %v", sh.Inject.ID, err)
		}
	}
	if _, err := s.Next(ctx, true); !errors.Is(err, ErrAllRevealed) {
		t.Errorf("after the last: %v", err)
	}
	list, err := s.List()
	if err != nil || len(list) != 5 || list[3].Inject.ID != "cause" || list[3].Since != 3*time.Minute {
		t.Errorf("List: %v, %+v", err, list)
	}
}

func TestNewAttemptStartsOver(t *testing.T) {
	s, clock := newSession(t)
	ctx := context.Background()
	s.Next(ctx, false)
	s.Next(ctx, false)
	clock.Advance(time.Hour)
	if err := s.StartAttempt("reset"); err != nil {
		t.Fatal(err)
	}
	sh, err := s.Next(ctx, false)
	if err != nil || sh.Inject.ID != "alert" || sh.Since != 0 {
		t.Errorf("after reset: %s at %s, %v", sh.Inject.ID, sh.Since, err)
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Errorf("after reset %d revealed, want 1", len(list))
	}
}

func TestNoAttempt(t *testing.T) {
	j, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	s := &Session{Lab: testLab(), Journal: j}
	if _, err := s.Next(context.Background(), false); !errors.Is(err, ErrNoAttempt) {
		t.Errorf("got %v, want ErrNoAttempt", err)
	}
}

func TestShowAgain(t *testing.T) {
	s, clock := newSession(t)
	ctx := context.Background()
	s.Next(ctx, false)
	clock.Advance(90 * time.Second)
	s.Next(ctx, false)
	clock.Advance(time.Hour)
	for _, ref := range []string{"2", "graph"} {
		sh, err := s.Show(ctx, ref)
		if err != nil || sh.Inject.ID != "graph" || sh.Since != 90*time.Second {
			t.Errorf("Show(%q) = %s at %s, %v", ref, sh.Inject.ID, sh.Since, err)
		}
	}
	for ref, want := range map[string]string{
		"3":    "inject 3 is not revealed yet",
		"9":    "no inject 9; the lab has 5",
		"0":    "no inject 0",
		"nope": `no inject "nope" in lab hello`,
	} {
		if _, err := s.Show(ctx, ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Show(%q): %v, want %q", ref, err, want)
		}
	}
}

func TestLiveInject(t *testing.T) {
	s, _ := newSession(t)
	s.Lab.Injects[0].Live = &labfile.Live{VM: "web", Command: "tail -n 3 /var/log/nginx/error.log"}
	r := &probetest.Runner{Replies: []probetest.Reply{{Stdout: strings.Repeat("x", maxLiveOutput+10), Exit: 1}}}
	var dialed string
	s.Dial = func(_ context.Context, vm string) (provision.Runner, error) { dialed = vm; return r, nil }
	sh, err := s.Next(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	l := sh.Live
	if dialed != "web" || len(r.Cmds()) != 1 || l == nil || len(l.Output) != maxLiveOutput || !l.Truncated || l.Exit != 1 || l.Err != "" {
		t.Fatalf("live: dialed %q, cmds %v, %+v", dialed, r.Cmds(), l)
	}
	// Showing it again runs the command again: it shows the lab as it is now.
	r.Replies = []probetest.Reply{{Stdout: "fresh\n"}}
	sh, err = s.Show(context.Background(), "1")
	if err != nil || sh.Live.Output != "fresh\n" || len(r.Cmds()) != 2 {
		t.Errorf("show again: %+v, %v", sh.Live, err)
	}
}

func TestLiveInjectUnreachable(t *testing.T) {
	s, _ := newSession(t)
	s.Lab.Injects[0].Live = &labfile.Live{VM: "web", Command: "uptime"}
	s.Dial = func(context.Context, string) (provision.Runner, error) { return nil, errors.New("connection refused") }
	sh, err := s.Next(context.Background(), false)
	if err != nil || sh.Live == nil || sh.Live.Err != "connect to web: connection refused" {
		t.Errorf("unreachable live VM: %+v, %v", sh.Live, err)
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Error("the inject was not recorded as revealed")
	}
}

func TestAttachment(t *testing.T) {
	s, _ := newSession(t)
	s.Lab.Dir = t.TempDir()
	os.MkdirAll(filepath.Join(s.Lab.Dir, "graphs"), 0o755)
	os.WriteFile(filepath.Join(s.Lab.Dir, "graphs", "5xx.png"), []byte("PNG"), 0o644)
	s.Lab.Injects[0].Attach = "graphs/5xx.png"
	s.AttachDir = filepath.Join(t.TempDir(), "out")
	sh, err := s.Next(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.AttachDir, "alert-5xx.png"); sh.Attachment != want {
		t.Errorf("attachment at %q, want %q", sh.Attachment, want)
	}
	if data, err := os.ReadFile(sh.Attachment); err != nil || string(data) != "PNG" {
		t.Errorf("copy: %q, %v", data, err)
	}

	// A missing attachment is an error, and the inject stays unrevealed.
	s.Lab.Injects[1].Attach = "graphs/gone.png"
	if _, err := s.Next(context.Background(), false); err == nil || !strings.Contains(err.Error(), `inject "graph" attachment`) {
		t.Errorf("missing attachment: %v", err)
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Errorf("%d revealed, want 1", len(list))
	}
}

func TestRecordCheckAndSolve(t *testing.T) {
	s, clock := newSession(t)
	clock.Advance(time.Minute)
	if err := s.RecordSolve(); err != nil {
		t.Fatal(err)
	}
	a, err := s.Current()
	if err != nil || !a.Solved.Equal(t0.Add(time.Minute)) {
		t.Errorf("solve not recorded: %+v, %v", a, err)
	}
}

// An attachment is read through the lab folder: a symlink that leads out
// of it (to a host file or folder) is refused with one line naming it, and
// nothing is copied; a symlink inside the lab is fine.
func TestAttachmentSymlinkOut(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "id_rsa"), []byte("secret"), 0o600)
	for _, tt := range []struct{ link, target, attach string }{
		{"graphs/5xx.png", filepath.Join(host, "id_rsa"), "graphs/5xx.png"},
		{"graphs", host, "graphs/id_rsa"},
		{"dir", host, "dir"},
	} {
		s, _ := newSession(t)
		s.Lab.Dir = t.TempDir()
		os.MkdirAll(filepath.Dir(filepath.Join(s.Lab.Dir, tt.link)), 0o755)
		os.Symlink(tt.target, filepath.Join(s.Lab.Dir, tt.link))
		s.Lab.Injects[0].Attach = tt.attach
		s.AttachDir = filepath.Join(t.TempDir(), "out")
		_, err := s.Next(context.Background(), false)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), tt.attach+" leads outside the lab folder") {
			t.Errorf("%s: err = %v, want one line refusing it", tt.attach, err)
		}
		if copied, _ := os.ReadDir(s.AttachDir); len(copied) > 0 {
			t.Errorf("%s: copied %v", tt.attach, copied)
		}
	}
	s, _ := newSession(t)
	s.Lab.Dir = t.TempDir()
	os.WriteFile(filepath.Join(s.Lab.Dir, "real.log"), []byte("log"), 0o600)
	os.Symlink("real.log", filepath.Join(s.Lab.Dir, "link.log"))
	s.Lab.Injects[0].Attach = "link.log"
	s.AttachDir = filepath.Join(t.TempDir(), "out")
	sh, err := s.Next(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(sh.Attachment); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("copy through an inside symlink: %v, %v", st, err)
	}
}

// TestCheckAndDebrief: Check records its report in the attempt, and the
// debrief counts it.
func TestCheckAndDebrief(t *testing.T) {
	s, clock := newSession(t)
	clock.Advance(time.Minute)
	if _, err := s.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a, err := s.Current(); err != nil || len(a.Checks) != 1 {
		t.Errorf("the check was not recorded: %+v, %v", a, err)
	}
	d, err := s.Debrief()
	if err != nil || d.Lab != "hello" || len(d.Attempts) != 1 || d.Attempts[0].By != "up" || d.Attempts[0].Checks != 1 {
		t.Errorf("debrief: %+v, %v", d, err)
	}
}
