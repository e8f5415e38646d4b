//go:build integration

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/instance"
)

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	// Fixed dates: the same commits every run, so that a lab made of them
	// has the same golden key and reuses the golden state a run before
	// made (content-keyed), instead of provisioning each time.
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t",
		"GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildDeb makes a tiny package whose file says its version.
func buildDeb(t *testing.T, outDir, name, version string) {
	t.Helper()
	root := t.TempDir()
	write(t, filepath.Join(root, "DEBIAN/control"), "Package: "+name+"\nVersion: "+version+
		"\nArchitecture: all\nMaintainer: vlab <vlab@example.org>\nDescription: vlab test package\n")
	write(t, filepath.Join(root, "usr/share", name, "version"), version+"\n")
	cmd := exec.Command("dpkg-deb", "--root-owner-group", "--build", root,
		filepath.Join(outDir, name+"_"+version+"_all.deb"))
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1767225600") // the same bytes every run (see git)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb: %v: %s", err, out)
	}
}

// pinnedLab writes a lab whose puppet repo's HEAD is not the pinned commit
// and whose package folder offers a newer version than the pinned one.
func pinnedLab(t *testing.T) string {
	labsDir := t.TempDir()
	dir := filepath.Join(labsDir, "pinned")
	repo := filepath.Join(dir, "puppet")
	write(t, filepath.Join(repo, "manifests/site.pp"), "file { '/etc/vlab-rev': content => \"one\\n\" }\n")
	git(t, repo, "init", "-q")
	git(t, repo, "add", ".")
	git(t, repo, "commit", "-q", "-m", "one")
	pinned := git(t, repo, "rev-parse", "HEAD")
	write(t, filepath.Join(repo, "manifests/site.pp"), "file { '/etc/vlab-rev': content => \"two\\n\" }\n")
	git(t, repo, "commit", "-q", "-am", "two")
	debs := filepath.Join(dir, "debs")
	os.MkdirAll(debs, 0o755)
	buildDeb(t, debs, "vlab-demo", "1.0-1")
	buildDeb(t, debs, "vlab-demo", "1:2.0~rc1-1")
	write(t, filepath.Join(dir, "lab.yaml"), `name: pinned
title: Pinned puppet revision, package and trigger
vms:
  - name: app
    image: debian-12
    memory: 512
    provision:
      - puppet:
          repo: puppet
          revision: `+pinned+`
      - packages:
          vlab-demo: "1.0-1"
triggers:
  - name: ticker
    vm: app
    command: /bin/sh -c 'while true; do date +%s > /run/ticker.new; mv /run/ticker.new /run/ticker; sleep 1; done'
`)
	return labsDir
}

func TestIntegrationGoldenState(t *testing.T) {
	timed(t)
	labsDir := pinnedLab(t)
	v := func(args ...string) string { return mustVlab(t, append([]string{"--labs", labsDir}, args...)...) }
	vlab(t, "--labs", labsDir, "destroy", "pinned")
	t.Cleanup(func() { vlab(t, "--labs", labsDir, "destroy", "pinned") })
	v("up", "pinned")

	golden := "one\n1.0-1\nvlab-demo\nactive\n"
	state := "cat /etc/vlab-rev; dpkg-query -W -f='${Version}\\n' vlab-demo; apt-mark showhold; systemctl is-active vlab-trigger-ticker"
	if got := v("ssh", "pinned", "--", state); got != golden {
		t.Fatalf("provisioned state = %q, want %q (pinned revision, pinned version held, trigger running)", got, golden)
	}

	// Break everything, including the way in.
	v("ssh", "pinned", "--", "systemctl stop vlab-trigger-ticker; rm -f /etc/vlab-rev; dpkg --purge --force-all vlab-demo >/dev/null 2>&1; date -s 2001-01-01 >/dev/null")
	vlab(t, "--labs", labsDir, "ssh", "pinned", "--", "nohup sh -c 'sleep 1; systemctl stop ssh.socket ssh; pkill sshd' >/dev/null 2>&1 &")
	time.Sleep(3 * time.Second)
	if code, _, _ := vlab(t, "--labs", labsDir, "ssh", "pinned", "--", "true"); code == 0 {
		t.Fatal("sshd still answers after it was stopped")
	}

	// up left a standby preparing in the background: reset resumes it in
	// the VM's place.
	waitStandby(t, "pinned")
	start := time.Now()
	v("reset", "pinned")
	t.Logf("reset took %s", time.Since(start))
	if got := v("ssh", "pinned", "--", state); got != golden {
		t.Errorf("after reset: %q, want %q", got, golden)
	}
	checkClock(t, "pinned")
	base := instance.DomainName(instanceUID(t, "pinned"), "pinned", "app")
	if dom := vmStatus(t, labsDir, "pinned").Domain; dom != base+"_b" {
		t.Errorf("after reset the VM runs as %s, want its standby %s_b", dom, base)
	}

	// The replaced domain becomes the next standby; break the VM in
	// another way (a full disk) and reset onto it.
	waitStandby(t, "pinned")
	v("ssh", "pinned", "--", "rm -f /etc/vlab-rev; dd if=/dev/zero of=/var/fill bs=1M >/dev/null 2>&1; df --output=avail / | tail -1")
	v("reset", "pinned")
	if got := v("ssh", "pinned", "--", state+"; if test -e /var/fill; then echo fill left; fi"); got != golden {
		t.Errorf("after the second reset: %q, want %q", got, golden)
	}
	if dom := vmStatus(t, labsDir, "pinned").Domain; dom != base {
		t.Errorf("after the second reset the VM runs as %s, want %s", dom, base)
	}

	// A standby that died (host reboot, an admin's virsh destroy) while
	// the state still says ready: reset restores the slow way.
	waitStandby(t, "pinned")
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "destroy", base+"_b").CombinedOutput(); err != nil {
		t.Fatalf("virsh destroy: %v: %s", err, out)
	}
	v("ssh", "pinned", "--", "rm -f /etc/vlab-rev")
	v("reset", "pinned")
	if got := v("ssh", "pinned", "--", state); got != golden {
		t.Errorf("after a reset without standby: %q, want %q", got, golden)
	}
	checkClock(t, "pinned")

	// Standbys turned off (a host short of memory): the waiting one is
	// powered off, the reset restores, and none is prepared again.
	waitStandby(t, "pinned")
	v("--standby=false", "reset", "pinned")
	if got := v("ssh", "pinned", "--", state); got != golden {
		t.Errorf("after a reset with standbys off: %q, want %q", got, golden)
	}
	time.Sleep(4 * time.Second) // longer than the delay of a background preparation
	if vmStatus(t, labsDir, "pinned").Standby {
		t.Error("a standby is ready though standbys are off")
	}
	if out, _ := exec.Command("virsh", "-c", "qemu:///system", "domstate", base+"_b").CombinedOutput(); strings.TrimSpace(string(out)) != "shut off" {
		t.Errorf("with standbys off the partner domain is %q, want shut off", strings.TrimSpace(string(out)))
	}
	time.Sleep(2 * time.Second)
	tick := v("ssh", "pinned", "--", "cat /run/ticker")
	if n, err := strconv.ParseInt(strings.TrimSpace(tick), 10, 64); err != nil || time.Now().Unix()-n > 10 {
		t.Errorf("trigger not ticking with the right clock after reset: %q", tick)
	}
}

// vmStatus is the one VM of instance id as `vlab status --json` shows it.
func vmStatus(t *testing.T, labsDir, id string) instance.VMStatus {
	t.Helper()
	var rows []instance.VMStatus
	if err := json.Unmarshal([]byte(mustVlab(t, "--labs", labsDir, "status", "--json", id)), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("status --json: %v %v", rows, err)
	}
	return rows[0]
}
