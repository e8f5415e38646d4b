//go:build integration

package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationBundleOffline carries a lab with pinned packages to a
// fresh VLAB_HOME and labs folder through one bundle file and brings it up
// there. The test runs in a network namespace with no route out, so
// nothing can come from the network.
func TestIntegrationBundleOffline(t *testing.T) {
	timed(t)
	const lab = "package-socket-move"
	file := filepath.Join(t.TempDir(), lab+".tar.gz")
	mustVlab(t, "bundle", "create", lab, file)

	oldHome := os.Getenv("VLAB_HOME")
	home, labsDir := t.TempDir(), t.TempDir()
	t.Setenv("VLAB_HOME", home)
	// The accelerator probe's answer is about this host, not the bundle.
	if b, err := os.ReadFile(filepath.Join(oldHome, "accel.json")); err == nil {
		os.WriteFile(filepath.Join(home, "accel.json"), b, 0o644)
	}
	in := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
		defer cancel()
		code := run(ctx, append([]string{"vlab", "--labs", labsDir}, args...), strings.NewReader(""), &out, &errb)
		t.Logf("vlab %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
		return code, out.String() + errb.String()
	}
	if code, out := in("bundle", "import", file); code != 0 {
		t.Fatalf("import: %s", out)
	}
	if code, out := in("bundle", "import", file); code == 0 || !strings.Contains(out, "exists already") {
		t.Errorf("second import: exit %d, %s; want a refusal that keeps the lab", code, out)
	}
	defer in("destroy", lab, "-i", "offline")
	if code, out := in("up", lab, "-i", "offline"); code != 0 {
		t.Fatalf("up from the bundle alone: %s", out)
	}
	// The incident is live: its probes fail until someone fixes it.
	if code, out := in("check", lab, "-i", "offline"); code != 1 {
		t.Errorf("check of the imported lab: exit %d, want 1 (unresolved)\n%s", code, out)
	}
	if code, out := in("destroy", lab, "-i", "offline"); code != 0 {
		t.Errorf("destroy: %s", out)
	}
}
