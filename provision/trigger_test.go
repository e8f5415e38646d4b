package provision

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v; run go test -update to create it", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs; run go test -update if the change is intended\n got:\n%s\nwant:\n%s", p, got, want)
	}
}

func TestRenderTrigger(t *testing.T) {
	for _, tt := range []struct {
		file string
		tr   labfile.Trigger
	}{
		{"trigger-simple.service", labfile.Trigger{Name: "abusive-client", VM: "client",
			Command: "/usr/local/bin/hammer http://web/expensive", Description: "Hammers the\nexpensive page"}},
		{"trigger-quoting.service", labfile.Trigger{Name: "load", VM: "client",
			Command:     "while true; do curl -s -o /dev/null -w '%{http_code}\\n' \"http://web/?q=$RANDOM\"; sleep 0.1; done\necho \"done\"",
			Description: "100% load"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, RenderTrigger(tt.tr))
		})
	}
}

func TestExecQuote(t *testing.T) {
	for in, want := range map[string]string{
		`echo hi`:       `"echo hi"`,
		`echo "a\b"`:    `"echo \"a\\b\""`,
		"a\nb\tc\x01":   `"a\nb\tc\x01"`,
		`50% of $HOME`:  `"50%% of $$HOME"`,
		`printf '%s' x`: `"printf '%%s' x"`,
	} {
		if got := execQuote(in); got != want {
			t.Errorf("execQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestStartTriggers(t *testing.T) {
	r := newFakeRunner(nil)
	ts := []labfile.Trigger{{Name: "a", VM: "client", Command: "x"}, {Name: "b", VM: "client", Command: "y"}}
	if err := StartTriggers(context.Background(), r, ts, ClientBinary{}, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vlab-trigger-a.service", "vlab-trigger-b.service"} {
		f, ok := r.files["/etc/systemd/system/"+name]
		if !ok || f.mode != 0o644 || !strings.Contains(string(f.data), "Restart=always") {
			t.Errorf("unit %s = %+v, want it written with mode 0644", name, f)
		}
	}
	if len(r.cmds) != 1 || r.cmds[0] != "systemctl daemon-reload && systemctl --no-reload enable --now vlab-trigger-a.service vlab-trigger-b.service" {
		t.Errorf("commands = %q, want one reload and enable", r.cmds)
	}
	r = newFakeRunner(func(string) (string, int) { return "Failed to enable unit\n", 1 })
	err := StartTriggers(context.Background(), r, ts[:1], ClientBinary{}, nil)
	if err == nil || !strings.Contains(err.Error(), "start triggers vlab-trigger-a.service") || !strings.Contains(err.Error(), "Failed to enable unit") {
		t.Errorf("err = %v", err)
	}
}

// TestTriggerUnitVerifies has systemd itself parse the rendered units, where
// systemd-analyze is installed.
func TestTriggerUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil || testing.Short() {
		t.Skip("needs systemd-analyze")
	}
	dir := t.TempDir()
	tr := labfile.Trigger{Name: "load", Command: "printf '%s\\n' \"$HOME\" 100% \\\n&& sleep 1", Description: "50% \"load\""}
	unit := filepath.Join(dir, TriggerUnit(tr))
	if err := os.WriteFile(unit, RenderTrigger(tr), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestStartTriggersWaitsUntilReady(t *testing.T) {
	checks := 0
	r := newFakeRunner(func(cmd string) (string, int) {
		if !strings.HasPrefix(cmd, "sh -c ") {
			return "", 0
		}
		checks++
		if checks < 3 {
			return "curl: (7) Failed to connect\n", 7
		}
		return "", 0
	})
	ts := []labfile.Trigger{{Name: "web", VM: "b", Command: "python3 -m http.server 8080", Ready: "curl -sf localhost:8080"}}
	if err := StartTriggers(context.Background(), r, ts, ClientBinary{}, nil); err != nil {
		t.Fatal(err)
	}
	if checks != 3 || r.cmds[len(r.cmds)-1] != "sh -c 'curl -sf localhost:8080'" {
		t.Errorf("ready checks %d, commands %q; want it run until it succeeds (3 times)", checks, r.cmds)
	}

	old := readyTimeout
	readyTimeout = 1500 * time.Millisecond
	defer func() { readyTimeout = old }()
	never := newFakeRunner(func(cmd string) (string, int) {
		if strings.HasPrefix(cmd, "sh -c ") {
			return "curl: (7) Failed to connect\n", 7
		}
		return "", 0
	})
	err := StartTriggers(context.Background(), never, ts, ClientBinary{}, nil)
	if err == nil || !strings.Contains(err.Error(), "trigger web is not ready") || !strings.Contains(err.Error(), "Failed to connect") {
		t.Errorf("a trigger that never gets ready: %v", err)
	}
}
