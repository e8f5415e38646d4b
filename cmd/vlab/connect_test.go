package main

import (
	"os"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
)

// TestRecordedHostWins: commands on an instance go to the host it runs on;
// a --connect or VLAB_CONNECT naming another host is refused before any
// libvirt call, and the instance's records stay.
func TestRecordedHostWins(t *testing.T) {
	home := t.TempDir()
	h := instance.Home{Dir: home}
	for id, connect := range map[string]string{"far": "qemu+ssh://ops@lab1/system", "near": ""} {
		os.MkdirAll(instanceDir(t, h, id), 0o755)
		if err := instance.SaveState(instanceDir(t, h, id), &instance.State{ID: id, Lab: id, Connect: connect, Phase: instance.PhaseReady, Golden: &instance.Golden{Key: "k", Tag: "golden"}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--connect", "qemu+ssh://ops@lab2/system", "destroy", "far"}, "instance far runs on qemu+ssh://ops@lab1/system, not qemu+ssh://ops@lab2/system"},
		{[]string{"--connect", "qemu+ssh://ops@lab2/system", "destroy", "near"}, "instance near runs on this machine, not qemu+ssh://ops@lab2/system"},
		{[]string{"--connect", "qemu+ssh://ops@lab2/system", "reset", "far"}, "runs on qemu+ssh://ops@lab1/system"},
	} {
		code, _, errOut := runVlab(t, home, c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("vlab %s: exit %d, %q; want a short refusal saying %q", strings.Join(c.args, " "), code, errOut, c.want)
		}
	}
	for _, id := range []string{"far", "near"} {
		if _, err := instance.LoadState(instanceDir(t, h, id)); err != nil {
			t.Errorf("instance %s lost its records after a refused command: %v", id, err)
		}
	}
}
