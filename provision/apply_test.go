package provision

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// imageStatus writes a dpkg status file in which the image already has
// nginx 1.22.1-9 and curl 7.88.1-10, so that Fetch needs neither apt nor
// network for testLab's pins.
func imageStatus(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "dpkg-status")
	status := "Package: nginx\nStatus: install ok installed\nVersion: 1.22.1-9\n\n" +
		"Package: curl\nStatus: install ok installed\nVersion: 7.88.1-10\n"
	if err := os.WriteFile(p, []byte(status), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// guest answers like a Debian guest where every step succeeds, and fails
// commands containing fail.
func guest(fail string) func(string) (string, int) {
	return func(cmd string) (string, int) {
		switch {
		case fail != "" && strings.Contains(cmd, fail):
			return "step output\nsomething broke\n", 3
		case strings.HasPrefix(cmd, "dpkg-query"):
			return "nginx\t1.22.1-9\thi \ncurl\t7.88.1-10\thi \n", 0
		case strings.Contains(cmd, "puppet apply"):
			return "Notice: Applied catalog in 0.01 seconds\n", 2
		}
		return "", 0
	}
}

func TestApply(t *testing.T) {
	lab, repo := testLab(t)
	r := newFakeRunner(guest(""))
	var progress, verbose strings.Builder
	rec, err := Apply(context.Background(), ApplyOptions{
		Lab: lab, VM: "web", Runner: r, CacheDir: t.TempDir(), ImageDigest: "sha256:img1",
		Status: imageStatus(t), Progress: &progress, Verbose: &verbose,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.ran(t, "puppet apply", "apt-mark hold curl nginx", "tar -xzf /var/cache/vlab/upload/", "sh -ec 'systemctl restart nginx'",
		"systemctl --no-reload enable --now vlab-trigger-warm.service")
	if head := repo.git("rev-parse", "HEAD"); len(rec.Puppet) != 1 || rec.Puppet[0].Commit != head {
		t.Errorf("recorded puppet = %+v, want commit %s", rec.Puppet, head)
	}
	if rec.Packages["nginx"] != "1.22.1-9" || rec.Packages["curl"] != "7.88.1-10" {
		t.Errorf("recorded packages = %v", rec.Packages)
	}
	if len(rec.Triggers) != 1 || rec.Triggers[0] != "vlab-trigger-warm.service" {
		t.Errorf("recorded triggers = %v, want only web's", rec.Triggers)
	}
	if !strings.Contains(verbose.String(), "Applied catalog") {
		t.Errorf("verbose output lacks the guest's output: %q", verbose.String())
	}
	want := []string{
		`  puppet @ [0-9a-f]{7} \.\.\. ok \(\d+\.\ds\)`,
		`  packages curl nginx \.\.\. ok`,
		`  file /etc/nginx/nginx.conf \.\.\. ok`,
		`  run restart nginx \.\.\. ok`,
		`  triggers warm \.\.\. ok`,
	}
	checkProgress(t, progress.String(), want)
}

// checkProgress compares the result lines of a progress output, in order,
// with regular expressions.
func checkProgress(t *testing.T, got string, want []string) {
	t.Helper()
	var results []string
	for _, l := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
		if !strings.HasSuffix(l, " ...") {
			results = append(results, l)
		}
	}
	if len(results) != len(want) {
		t.Fatalf("progress:\n%s\nwant %d result lines", got, len(want))
	}
	for i, re := range want {
		if !regexp.MustCompile("^" + re).MatchString(results[i]) {
			t.Errorf("progress line %d = %q, want %s", i+1, results[i], re)
		}
	}
}

func TestApplyStopsAtFailingStep(t *testing.T) {
	lab, _ := testLab(t)
	plan, err := NewPlan(context.Background(), lab, "web", PlanOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := newFakeRunner(guest("systemctl restart nginx"))
	var progress strings.Builder
	_, err = Apply(context.Background(), ApplyOptions{
		Lab: lab, VM: "web", Runner: r, Plan: plan, CacheDir: t.TempDir(), ImageDigest: "sha256:img1",
		Status: imageStatus(t), Progress: &progress,
	})
	msg := `vm web: step 4 (run restart nginx): guest: "sh -ec 'systemctl restart nginx'" exited with status 3: something broke`
	if err == nil || err.Error() != msg {
		t.Fatalf("err = %v\nwant %s", err, msg)
	}
	var ce *CommandError
	if !errors.As(err, &ce) || strings.Join(ce.Output, "|") != "step output|something broke" {
		t.Errorf("the error keeps no output tail: %+v", ce)
	}
	checkProgress(t, progress.String(), []string{"  puppet", "  packages", "  file", `  run restart nginx \.\.\. failed`})
	for _, c := range r.cmds {
		if strings.Contains(c, "vlab-trigger") {
			t.Errorf("triggers started after a failed step: %s", c)
		}
	}
}

func TestApplyUsesThePlan(t *testing.T) {
	lab, repo := testLab(t)
	plan, err := NewPlan(context.Background(), lab, "web", PlanOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	planned := repo.git("rev-parse", "HEAD")
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'later': }\n"})
	rec, err := Apply(context.Background(), ApplyOptions{
		Lab: lab, VM: "web", Runner: newFakeRunner(guest("")), Plan: plan, CacheDir: t.TempDir(),
		ImageDigest: "sha256:img1", Status: imageStatus(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Puppet[0].Commit != planned {
		t.Errorf("applied %s, want the planned %s even though the branch moved", rec.Puppet[0].Commit, planned)
	}
}

func TestRunScript(t *testing.T) {
	r := newFakeRunner(nil)
	if err := RunScript(context.Background(), r, "echo 'it''s'\nfalse", nil); err != nil {
		t.Fatal(err)
	}
	if want := `sh -ec 'echo '\''it'\'''\''s'\''` + "\nfalse'"; r.cmds[0] != want {
		t.Errorf("command = %s, want %s", r.cmds[0], want)
	}
}

func TestApplyRefusesAnotherVMsPlan(t *testing.T) {
	lab, _ := testLab(t)
	plan, err := NewPlan(context.Background(), lab, "client", PlanOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	r := newFakeRunner(nil)
	_, err = Apply(context.Background(), ApplyOptions{Lab: lab, VM: "web", Runner: r, Plan: plan})
	if err == nil || !strings.Contains(err.Error(), "the plan is for vm client") || len(r.cmds) > 0 {
		t.Errorf("err = %v after %d commands, want a refusal before any", err, len(r.cmds))
	}
}

// TestApplyProgressIsSanitised: a step's name, the first line of its run:
// and a file's dest come from the lab; the progress lines, the log's step
// lines and the error show them without their escape sequences (an OSC 52
// would write the user's clipboard).
func TestApplyProgressIsSanitised(t *testing.T) {
	const osc52 = "\x1b]52;c;cHduZWQ=\x07"
	lab := &labfile.Lab{Name: "evil", Dir: t.TempDir(), VMs: []labfile.VM{{Name: "web", Provision: []labfile.Step{
		{Run: "true # " + osc52},
		{Name: "step\x1b]0;title\x07", Run: "true"},
		{Run: "fail" + osc52 + "\nmore"},
	}}}}
	var progress, log strings.Builder
	_, err := Apply(context.Background(), ApplyOptions{Lab: lab, VM: "web", Runner: newFakeRunner(guest("fail")),
		CacheDir: t.TempDir(), Progress: &progress, Verbose: io.Discard, Log: &log})
	if err == nil {
		t.Fatal("the failing step passed")
	}
	checkProgress(t, progress.String(), []string{`  run true # \.\.\. ok`, `  run step \.\.\. ok`, `  run fail \.\.\. \.\.\. failed`})
	for what, s := range map[string]string{"progress": progress.String(), "log": log.String(), "error": err.Error()} {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "==") || what != "log" {
				if strings.ContainsAny(l, "\x1b\x07") {
					t.Errorf("%s keeps the lab's escapes: %q", what, l)
				}
			}
		}
	}
}
