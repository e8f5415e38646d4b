package kit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDeployConfig: deploy-config syncs the staging clone's HEAD (not its
// uncommitted changes) to the live copy, has OPcache drop the live copy's
// scripts (or reloads php-fpm when it cannot) and logs who deployed which
// commit; a file that fails the lint deploys nothing; --check tells a hand
// edit of the live copy. php, systemctl and curl are stand-ins that
// record their calls.
func TestDeployConfig(t *testing.T) {
	dir := t.TempDir()
	staging, live, calls := filepath.Join(dir, "staging"), filepath.Join(dir, "live"), filepath.Join(dir, "calls")
	bin := filepath.Join(dir, "bin")
	os.Mkdir(bin, 0o755)
	for name, body := range map[string]string{
		"php":       `grep -q LINTFAIL "$2" && { echo "Parse error in $2" >&2; exit 255; }; echo "No syntax errors detected in $2"`,
		"systemctl": `echo "systemctl $*" >>` + calls,
		"curl":      `echo "curl $*" >>` + calls + `; [ -z "$CURL_FAILS" ] || exit 7; echo 2`,
	} {
		os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755)
	}
	conf := filepath.Join(dir, "deploy-config.conf")
	os.WriteFile(conf, []byte("STAGING="+staging+"\nLIVE="+live+"\nSERVICE=php8.2-fpm\nLOG="+
		filepath.Join(dir, "deploy.log")+"\nINVALIDATE=http://127.0.0.1/opcache-invalidate\n"), 0o644)
	os.MkdirAll(filepath.Join(staging, "wmf-config"), 0o755)
	settings := filepath.Join(staging, "wmf-config", "Settings.php")
	os.WriteFile(settings, []byte("<?php $a = 1;\n"), 0o644)
	git(t, staging, "init", "-q", "-b", "production")
	commit := func(msg string) {
		git(t, staging, "add", "-A")
		git(t, staging, "-c", "user.name=ana", "-c", "user.email=ana@wiki.example", "commit", "-qm", msg)
	}
	commit("first")

	env := []string{"DEPLOY_CONFIG=" + conf, "PATH=" + bin + ":" + os.Getenv("PATH"), "SUDO_USER=alex",
		"GIT_CONFIG_GLOBAL=/dev/null"}
	run := func(args ...string) (string, int) {
		t.Helper()
		cmd := exec.Command("sh", append([]string{filepath.Join("puppet", "modules", "profile", "files", "deploy-config")}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), 0
	}
	liveSettings := func() string {
		b, _ := os.ReadFile(filepath.Join(live, "wmf-config", "Settings.php"))
		return string(b)
	}

	if out, code := run("first deploy"); code != 0 || liveSettings() != "<?php $a = 1;\n" {
		t.Fatalf("deploy: %d %s; live %q", code, out, liveSettings())
	}
	if b, _ := os.ReadFile(calls); string(b) != "curl -sf -m 60 http://127.0.0.1/opcache-invalidate?dir="+live+"\n" {
		t.Errorf("calls %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "deploy.log")); !strings.Contains(string(b), " alex deployed ") || !strings.HasSuffix(string(b), " first: first deploy\n") {
		t.Errorf("log %q", b)
	}
	if out, code := run("--check"); code != 0 {
		t.Errorf("--check after a deploy: %d %s", code, out)
	}

	// Uncommitted changes stay in staging; a commit that fails the lint
	// deploys nothing.
	os.WriteFile(settings, []byte("<?php $a = 2;\n"), 0o644)
	if out, code := run("uncommitted"); code != 0 || !strings.Contains(out, "uncommitted changes") || liveSettings() != "<?php $a = 1;\n" {
		t.Errorf("uncommitted: %d %s; live %q", code, out, liveSettings())
	}
	os.WriteFile(settings, []byte("<?php LINTFAIL\n"), 0o644)
	commit("broken")
	if out, code := run("broken"); code != 1 || !strings.Contains(out, "lint failed") || liveSettings() != "<?php $a = 1;\n" {
		t.Errorf("lint failure: %d %s; live %q", code, out, liveSettings())
	}
	if _, err := os.Stat(live + ".new"); err == nil {
		t.Error("a failed deploy left its new tree")
	}

	// A hand edit of the live copy (or a commit not deployed) fails --check.
	git(t, staging, "-c", "user.name=ana", "-c", "user.email=ana@wiki.example", "revert", "--no-edit", "HEAD")
	env = append(env, "CURL_FAILS=1")
	os.Remove(calls)
	if out, code := run("revert"); code != 0 || liveSettings() != "<?php $a = 1;\n" {
		t.Errorf("revert: %d %s; live %q", code, out, liveSettings())
	}
	if b, _ := os.ReadFile(calls); !strings.HasSuffix(string(b), "systemctl reload php8.2-fpm\n") {
		t.Errorf("OPcache not reached, calls %q, want a reload", b)
	}
	os.WriteFile(filepath.Join(live, "wmf-config", "Settings.php"), []byte("<?php $a = 3;\n"), 0o644)
	if out, code := run("--check"); code != 1 || !strings.Contains(out, "differs from") {
		t.Errorf("--check after a hand edit: %d %s", code, out)
	}
	if out, code := run(); code != 2 {
		t.Errorf("no reason: %d %s", code, out)
	}
}
