package labtest

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// guest is a fake lab's VM: /etc/state says "fixed" once a script that
// says FIX ran, until the VM is restored (the fake's restore calls are
// counted to notice one).
type guest struct {
	mu       sync.Mutex
	drv      *drivertest.Fake
	fixed    bool
	eased    bool // a workaround ran: users served, cause still there
	restores int
	always   string // the state answered whatever happened, if set
	lag      int    // a fix shows from the lag-th check after it on
	checks   int    // checks since the last fix (or restore)
}

func (g *guest) handle(_ context.Context, vmName, cmd string, stdin io.Reader, stdout, _ io.Writer) int {
	io.Copy(io.Discard, stdin)
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.drv.CallsLike("restore ")); n != g.restores {
		g.restores, g.fixed, g.eased, g.checks = n, false, false, 0
	}
	switch {
	case strings.Contains(cmd, "cat /etc/state"):
		g.checks++
		st := "broken"
		if g.eased {
			st = "eased"
		}
		if g.fixed && g.checks >= g.lag {
			st = "fixed"
		}
		if g.always != "" {
			st = g.always
		}
		io.WriteString(stdout, st+"\n")
	case strings.Contains(cmd, "FIX"):
		g.fixed, g.checks = true, 0
	case strings.Contains(cmd, "EASE"):
		g.eased = true
	case strings.Contains(cmd, "SHOUT"):
		io.WriteString(stdout, "fine\n\x1b]52;c;cHduZWQ=\x07gone\x1b[2J\n")
		return 1
	case strings.Contains(cmd, "FAIL"):
		return 1
	}
	return 0
}

// testLab writes a one-VM lab whose probe wants "fixed" and whose
// solution runs solution; scripts go to tests/.
func testLab(t *testing.T, solution string, scripts map[string]string) *labfile.Lab {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shop")
	os.MkdirAll(filepath.Join(dir, "tests"), 0o755)
	yaml := `name: shop
title: t
vms:
  - name: box
probes:
  - name: state
    vm: box
    command: cat /etc/state
    expect: {match: "^fixed$"}
solution:
  steps:
    - vm: box
      run: ` + solution + "\n"
	os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte(yaml), 0o644)
	for n, b := range scripts {
		os.WriteFile(filepath.Join(dir, "tests", n), []byte(b), 0o755)
	}
	lab, err := labfile.Load(filepath.Join(dir, "lab.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return lab
}

func manager(t *testing.T, g *guest) *instance.Manager {
	t.Helper()
	home := instance.Home{Dir: t.TempDir()}
	store := &images.Store{Dir: home.Images()}
	if _, err := store.Import(context.Background(), "debian-12", images.Files{Disk: imagestest.Disk(t)}); err != nil {
		t.Fatal(err)
	}
	g.drv = drivertest.NewFakeSSH(t, g.handle)
	return &instance.Manager{Home: home, Images: store, BootTimeout: 10 * time.Second, NoStandby: true,
		Driver: instance.OpenFunc(func(context.Context) (vm.Driver, error) { return g.drv, nil }),
		Accel:  instance.AccelFunc(func(context.Context) (vm.Accel, error) { return vm.AccelTCG, nil })}
}

// quick is Options for a fake lab, whose fixes show at once or never:
// a short settle.
func quick(m *instance.Manager) Options {
	return Options{Manager: m, Settle: 50 * time.Millisecond, SettleEvery: 10 * time.Millisecond}
}

var goodScripts = map[string]string{
	"fix-other.sh":    "#!/bin/sh\n# vm: box\necho FIX\n",
	"cheat-hide.sh":   "#!/bin/sh\n# vm: box\necho hide\n",
	"README":          "not a script",
	"workaround-x.sh": "#!/bin/sh\n# vm: box\necho ease\n",
}

func TestGoodLabPasses(t *testing.T) {
	g := &guest{}
	m := manager(t, g)
	lab := testLab(t, "echo FIX", goodScripts)
	r, err := Run(context.Background(), lab, quick(m))
	if err != nil || !r.Passed() {
		t.Fatalf("Run = %+v, %v", r, err)
	}
	var names []string
	for _, s := range r.Steps {
		names = append(names, s.Name)
	}
	want := "up|starts broken|reference solution|reset breaks it again|cheat cheat-hide|fix fix-other|workaround workaround-x|destroy"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
	if vms, _ := g.drv.FindVMs(context.Background(), map[string]string{"instance": "test-shop"}); len(vms) != 0 {
		t.Errorf("the test's instance was left: %v", vms)
	}
	var j bytes.Buffer
	if err := r.WriteJUnit(&j); err != nil || !strings.Contains(j.String(), `tests="8" failures="0"`) {
		t.Errorf("junit: %v\n%s", err, j.String())
	}
}

// TestBadLabsFail: each way a lab can be wrong fails its step (the first
// that fails) with one line naming it.
func TestBadLabsFail(t *testing.T) {
	for _, tt := range []struct {
		name, solution, always string
		scripts                map[string]string
		step, msg              string
	}{
		{name: "starts resolved", solution: "echo FIX", always: "fixed", step: "starts broken", msg: "check says resolved, want not resolved"},
		{name: "solution fixes nothing", solution: "echo nothing", step: "reference solution", msg: "check says not resolved, want resolved; state on box"},
		{name: "solution fails", solution: "echo FAIL", step: "reference solution", msg: "solution step 1 in box"},
		{name: "fix that does not fix", solution: "echo FIX", scripts: map[string]string{"fix-bad.sh": "# vm: box\necho nothing\n"},
			step: "fix fix-bad", msg: "want resolved"},
		{name: "cheat that passes", solution: "echo FIX", scripts: map[string]string{"cheat-wins.sh": "# vm: box\necho FIX\n"},
			step: "cheat cheat-wins", msg: "check says resolved, want not resolved"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &guest{always: tt.always}
			m := manager(t, g)
			r, err := Run(context.Background(), testLab(t, tt.solution, tt.scripts), quick(m))
			if err != nil || r.Passed() {
				t.Fatalf("Run = %+v, %v; want a failed step", r, err)
			}
			var text bytes.Buffer
			r.WriteText(&text)
			var failed []Step
			for _, s := range r.Steps {
				if !s.OK {
					failed = append(failed, s)
				}
			}
			if len(failed) == 0 || failed[0].Name != tt.step || !strings.Contains(failed[0].Message, tt.msg) {
				t.Errorf("failed steps %+v; want %q with %q\n%s", failed, tt.step, tt.msg, text.String())
			}
			if !strings.Contains(text.String(), "FAIL "+tt.step+": ") || !strings.Contains(text.String(), "lab shop FAILED") {
				t.Errorf("text report:\n%s", text.String())
			}
		})
	}
}

// TestReportIsSanitised: a test script's name and a failed step's error,
// which ends with the guest's last output line, reach the progress lines
// and the report without their escape sequences.
func TestReportIsSanitised(t *testing.T) {
	g := &guest{}
	m := manager(t, g)
	lab := testLab(t, "echo FIX", map[string]string{"fix-loud\x1b]0;x\x07.sh": "# vm: box\necho SHOUT\n"})
	opt := quick(m)
	var progress, text bytes.Buffer
	opt.Progress = &progress
	r, err := Run(context.Background(), lab, opt)
	if err != nil || r.Passed() {
		t.Fatalf("Run = %+v, %v; want the loud fix to fail", r, err)
	}
	r.WriteText(&text)
	for what, s := range map[string]string{"progress": progress.String(), "report": text.String()} {
		if !strings.Contains(s, "FAIL fix fix-loud") || !strings.Contains(s, "gone") {
			t.Errorf("%s lacks the failed step and its output:\n%s", what, s)
		}
		if strings.ContainsAny(s, "\x1b\x07") {
			t.Errorf("%s keeps the guest's escapes: %q", what, s)
		}
	}
}

// TestScriptsOutsideTheLabRefused: a tests/ folder that leads outside the
// lab folder (here swapped in after the lab was validated) is refused
// before anything starts: host files are never sent to a guest.
func TestScriptsOutsideTheLabRefused(t *testing.T) {
	g := &guest{}
	m := manager(t, g)
	lab := testLab(t, "echo FIX", nil)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "fix-host.sh"), []byte("# vm: box\necho FIX host file\n"), 0o644)
	os.RemoveAll(filepath.Join(lab.Dir, "tests"))
	os.Symlink(host, filepath.Join(lab.Dir, "tests"))
	r, err := Run(context.Background(), lab, quick(m))
	if err == nil || !strings.Contains(err.Error(), "tests leads outside the lab folder") {
		t.Fatalf("Run = %+v, %v; want tests/ refused", r, err)
	}
	if vms, _ := g.drv.FindVMs(context.Background(), nil); len(vms) != 0 {
		t.Errorf("the test started VMs: %v", vms)
	}
}

// TestFixSettles: a fix that shows only at the fourth check after it
// passes when the check is run again within Options.Settle; one that shows
// later than the settle fails, saying how often it was checked; with no
// settle a fix is checked once, and a step that wants not resolved always
// is.
func TestFixSettles(t *testing.T) {
	for _, tt := range []struct {
		settle time.Duration
		lag    int
		ok     bool
	}{{time.Second, 4, true}, {25 * time.Millisecond, 1000, false}, {-1, 2, false}} {
		g := &guest{lag: tt.lag}
		o := quick(manager(t, g))
		o.Settle = tt.settle
		r, err := Run(context.Background(), testLab(t, "echo FIX", map[string]string{"cheat-late.sh": "# vm: box\necho FIX\n"}), o)
		if err != nil {
			t.Fatal(err)
		}
		var sol, cheat Step
		for _, s := range r.Steps {
			switch s.Name {
			case "reference solution":
				sol = s
			case "cheat cheat-late":
				cheat = s
			}
		}
		if sol.OK != tt.ok {
			t.Errorf("settle %s: solution %+v, want ok=%v", tt.settle, sol, tt.ok)
		}
		if tt.settle > 0 && !tt.ok && (!strings.Contains(sol.Message, "want resolved; state on box") || !strings.Contains(sol.Message, " times over 25ms)")) {
			t.Errorf("settle %s: message %q", tt.settle, sol.Message)
		}
		if tt.settle < 0 && strings.Contains(sol.Message, "checked") {
			t.Errorf("settle %s: checked again: %q", tt.settle, sol.Message)
		}
		if !cheat.OK {
			t.Errorf("settle %s: a cheat that shows late was checked again: %+v", tt.settle, cheat)
		}
	}
}

// TestWorkaroundMitigates: in a lab with a cause probe, a workaround must
// reach mitigated (users served) and not resolved; one that only hides
// nothing, or fixes everything, fails its step.
func TestWorkaroundMitigates(t *testing.T) {
	lab := func(t *testing.T, scripts map[string]string) *labfile.Lab {
		l := testLab(t, "echo FIX", scripts)
		l.Probes[0].Expect.Match = "^(eased|fixed)$"
		cause := l.Probes[0]
		cause.Name, cause.Cause, cause.Expect.Match = "cause-gone", true, "^fixed$"
		l.Probes = append(l.Probes, cause)
		return l
	}
	for _, tt := range []struct {
		script, body string
		ok           bool
	}{
		{"workaround-ease.sh", "# vm: box\necho EASE\n", true},
		{"workaround-nothing.sh", "# vm: box\necho nothing\n", false},
		{"workaround-fixes.sh", "# vm: box\necho FIX\n", false},
	} {
		t.Run(tt.script, func(t *testing.T) {
			g := &guest{}
			r, err := Run(context.Background(), lab(t, map[string]string{tt.script: tt.body}), quick(manager(t, g)))
			if err != nil {
				t.Fatal(err)
			}
			step := r.Steps[len(r.Steps)-2]
			if step.OK != tt.ok || !strings.HasPrefix(step.Name, "workaround ") {
				t.Errorf("step %+v, want ok=%v", step, tt.ok)
			}
			if !tt.ok && !strings.Contains(step.Message, "want mitigated, not resolved") {
				t.Errorf("message %q", step.Message)
			}
		})
	}
}

// TestSaveJUnit: the XML lands whole at the path; a path that cannot be
// written is one error naming --junit and the path.
func TestSaveJUnit(t *testing.T) {
	r := &Report{Lab: "hello", Steps: []Step{{Name: "starts broken", OK: true}}}
	path := filepath.Join(t.TempDir(), "out.xml")
	if err := r.SaveJUnit(path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), `<testcase name="starts broken"`) {
		t.Errorf("saved: %s, %v", b, err)
	}
	bad := filepath.Join(t.TempDir(), "missing", "out.xml")
	if err := r.SaveJUnit(bad); err == nil || !strings.Contains(err.Error(), "write --junit "+bad) {
		t.Errorf("unwritable path: %v", err)
	}
}
