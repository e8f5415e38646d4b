package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/provision"
)

const watchedLab = `name: watched
title: A lab with an observer
vms:
  - name: web
    memory: 256
  - name: watch
    memory: 256
    observer: true
probes:
  - name: page-loads
    vm: watch
    command: cat /served
    expect: {match: "^yes$"}
`

// TestObserverIsNotTheTrainees: the trainee's key does not open the
// observer, vlab ssh refuses it, status leaves it out, and check reaches
// it with its own key.
func TestObserverIsNotTheTrainees(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, vmName, cmd string, stdin io.Reader, stdout, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		if vmName != "" && strings.Contains(cmd, "cat /served") {
			fmt.Fprintln(stdout, "yes")
		}
		return 0
	})
	dir := filepath.Join(t.TempDir(), "watched")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "lab.yaml"), []byte(watchedLab), 0o644)

	code, out, errOut := f.run(t, "up", dir)
	if code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "investigate inside the VMs ([web])") {
		t.Errorf("up names the observer to the trainee:\n%s", out)
	}
	if code, _, errOut := f.run(t, "ssh", "watched", "watch", "--", "true"); code != 2 || !strings.Contains(errOut, "is the lab's observer") {
		t.Errorf("ssh to the observer: exit %d: %s", code, errOut)
	}
	if code, _, errOut := f.run(t, "ssh", "watched", "web", "--", "true"); code != 0 {
		t.Errorf("ssh to the trainee's vm: exit %d: %s", code, errOut)
	}
	if code, out, _ := f.run(t, "status", "watched"); code != 0 || strings.Contains(out, "watch ") || !strings.Contains(out, "web") {
		t.Errorf("status shows the observer:\n%s", out)
	}
	_, out, _ = f.run(t, "status", "watched", "--json")
	var rows []instance.VMStatus
	json.Unmarshal([]byte(out), &rows)
	if len(rows) != 2 || !(rows[0].Observer || rows[1].Observer) {
		t.Errorf("status --json rows: %+v, want both VMs, the observer marked", rows)
	}
	if code, out, errOut := f.run(t, "check", "watched"); code != 0 {
		t.Errorf("check (on the observer, with its key): exit %d\n%s%s", code, out, errOut)
	}

	// The trainee's key, which vlab ssh uses, is refused by the observer.
	idir := instanceDir(t, instance.Home{Dir: f.home}, "watched")
	st, err := instance.LoadState(idir)
	if err != nil {
		t.Fatal(err)
	}
	trainee, _ := os.ReadFile(filepath.Join(idir, "id_ed25519"))
	obs, _ := os.ReadFile(filepath.Join(idir, "observer_ed25519"))
	if len(obs) == 0 || string(obs) == string(trainee) {
		t.Fatal("the observer has no key of its own")
	}
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(st.VMs["watch"].SSHPort))
	if s, err := provision.Dial(context.Background(), provision.SSHConfig{Addr: addr, Key: trainee, HostKeys: &provision.HostKeys{Known: st.VMs["watch"].HostKey}}); err == nil {
		s.Close()
		t.Error("the trainee's key opened the observer")
	}
	if s, err := provision.Dial(context.Background(), provision.SSHConfig{Addr: addr, Key: obs, HostKeys: &provision.HostKeys{Known: st.VMs["watch"].HostKey}}); err != nil {
		t.Errorf("the observer's key: %v", err)
	} else {
		s.Close()
	}
	f.run(t, "destroy", "watched")
}
