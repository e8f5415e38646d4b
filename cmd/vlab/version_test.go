package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	code, out, errOut := runVlab(t, t.TempDir(), "--version")
	if code != 0 || out != "vlab 0.3.0-dev\n" {
		t.Errorf("vlab --version: exit %d, %q %q", code, out, errOut)
	}
	labs := t.TempDir()
	writeLab(t, labs, "future", "name: future\ntitle: x\nrequires: \">= 99.1\"\nvms:\n  - name: a\n")
	code, out, _ = runVlab(t, t.TempDir(), "--labs", labs, "validate", "future")
	if code != 1 || !strings.Contains(out, "future/lab.yaml:3: requires: the lab needs vlab >= 99.1, this is vlab 0.3.0-dev") {
		t.Errorf("validate of a lab for a newer vlab: exit %d, %q", code, out)
	}
}

// TestVersionSetAtBuild: the version a build sets with -ldflags -X is the
// one vlab reports.
func TestVersionSetAtBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds vlab")
	}
	bin := filepath.Join(t.TempDir(), "vlab")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/vlab-dev/vlab/internal/release.version=1.2.3", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || string(out) != "vlab 1.2.3\n" {
		t.Errorf("vlab --version = %q, %v; want vlab 1.2.3", out, err)
	}
}
