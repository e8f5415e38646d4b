//go:build integration

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// secondHost starts a second lab server on this machine: a libvirtd of its
// own, with its sockets, state, configuration, logs and storage pool in a
// folder of the test mounted over libvirt's paths in a mount namespace of
// its own (the network namespace is the test's, so its guests' SSH
// forwards are on this 127.0.0.1), and a real sshd in that namespace. It
// returns the qemu+ssh URI that reaches it, and virsh for it. Unlike the
// remote-host test, which reaches the first libvirtd over SSH, placement
// across the two can be seen: each has its own domains.
func secondHost(t *testing.T) (uri string, virsh func(args ...string) string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "vlab-second-host-")
	if err != nil {
		t.Fatal(err)
	}
	// QEMU runs as libvirt's unprivileged user: it must reach the pool.
	os.Chmod(dir, 0o755)
	mounts := map[string]string{"run": "/run/libvirt", "lib": "/var/lib/libvirt", "cache": "/var/cache/libvirt",
		"log": "/var/log/libvirt", "etc": "/etc/libvirt"}
	for d := range mounts {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	// The first daemon's configuration, not its domains, networks or pools.
	for _, sub := range []string{"qemu/networks", "storage"} {
		os.MkdirAll(filepath.Join(dir, "etc", sub), 0o755)
	}
	confs, _ := filepath.Glob("/etc/libvirt/*.conf")
	args := append([]string{"-a"}, confs...)
	if out, err := exec.Command("cp", append(append(args, "/etc/libvirt/nwfilter"), filepath.Join(dir, "etc"))...).CombinedOutput(); err != nil {
		t.Fatalf("copy libvirt's configuration: %v\n%s", err, out)
	}
	var script strings.Builder
	script.WriteString("set -e\n")
	for d, target := range mounts {
		fmt.Fprintf(&script, "mount --bind %s %s\n", filepath.Join(dir, d), target)
	}
	script.WriteString("virtlogd -d -p /run/libvirt/virtlogd.pid\nexec libvirtd -p /run/libvirt/libvirtd.pid\n")
	var log bytes.Buffer
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script.String())
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	ns := fmt.Sprintf("--mount=/proc/%d/ns/mnt", pid)
	virsh = func(args ...string) string {
		out, _ := exec.Command("nsenter", append([]string{ns, "--", "virsh", "-c", "qemu:///system"}, args...)...).CombinedOutput()
		return string(out)
	}
	t.Cleanup(func() {
		// Whatever a failed test left: the daemon's guests, then itself.
		for _, d := range strings.Fields(virsh("list", "--name")) {
			virsh("destroy", d)
		}
		cmd.Process.Kill()
		cmd.Wait()
		if b, err := os.ReadFile(filepath.Join(dir, "run", "virtlogd.pid")); err == nil {
			if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				if proc, err := os.FindProcess(p); err == nil {
					proc.Kill()
				}
			}
		}
		if t.Failed() {
			t.Logf("second libvirtd:\n%s", log.String())
		}
		os.RemoveAll(dir)
	})
	for i := 0; ; i++ {
		if out := virsh("version"); strings.Contains(out, "Running hypervisor") {
			break
		} else if i == 100 {
			t.Fatalf("the second libvirtd did not answer: %s\n%s", out, log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	uri, _, _, _ = remoteHostIn(t, pid)
	return uri, virsh
}
