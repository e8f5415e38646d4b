//go:build integration

package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationLabNetwork boots two VMs on a lab network: they reach each
// other by name, and the host has no address on that network.
func TestIntegrationLabNetwork(t *testing.T) {
	labsDir := t.TempDir()
	write(t, filepath.Join(labsDir, "duo", "lab.yaml"), `name: duo
title: Two VMs on a lab network
networks:
  - name: lab
vms:
  - name: front
    memory: 384
    networks: [lab]
  - name: back
    memory: 384
    networks: [lab]
triggers:
  - name: web
    vm: back
    command: /usr/bin/python3 -m http.server --directory /etc 8080
    ready: curl -sf http://localhost:8080/hostname >/dev/null
`)
	v := func(args ...string) string { return mustVlab(t, append([]string{"--labs", labsDir}, args...)...) }
	vlab(t, "--labs", labsDir, "destroy", "duo")
	t.Cleanup(func() { vlab(t, "--labs", labsDir, "destroy", "duo") })
	v("up", "duo")

	out := v("ssh", "duo", "front", "--", "for i in $(seq 20); do curl -sf http://back:8080/hostname && break; sleep 1; done; ip -4 -o addr show eth1")
	if !strings.HasPrefix(out, "back\n") || !strings.Contains(out, "10.77.0.10/24") {
		t.Errorf("front → back over the lab network: %q", out)
	}
	bridges, _ := exec.Command("ip", "-4", "-o", "addr", "show").CombinedOutput()
	if strings.Contains(string(bridges), "10.77.") {
		t.Errorf("the host has an address on a lab network:\n%s", bridges)
	}
	v("reset", "duo")
	if out := v("ssh", "duo", "front", "--", "curl -sf http://back:8080/hostname"); out != "back\n" {
		t.Errorf("after reset: %q", out)
	}
	uid := instanceUID(t, "duo")
	v("destroy", "duo")
	if left := leftovers(t, uid); len(left) > 0 {
		t.Errorf("destroy left %v", left)
	}
	nets, _ := exec.Command("virsh", "-c", "qemu:///system", "net-list", "--all", "--name").CombinedOutput()
	if strings.Contains(string(nets), "-duo-net-") {
		t.Errorf("destroy left the lab network: %s", nets)
	}
}
