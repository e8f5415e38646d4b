package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/provision"
)

// TestTraineeOnlyInOwnInstance: through `vlab trainee` (the forced command
// of a trainee's key) alice acts on her instance, and every attempt on
// bob's, or at a trainer's verb, is refused and changes nothing.
func TestTraineeOnlyInOwnInstance(t *testing.T) {
	f := newFakeCLI(t, quietGuest)
	if code, _, errOut := f.run(t, "class", "up", "hello", "--trainees", "alice,bob", "--force"); code != 0 {
		t.Fatalf("class up: %s", errOut)
	}
	as := func(who, request string) (int, string, string) {
		t.Setenv("SSH_ORIGINAL_COMMAND", request)
		return f.run(t, "trainee", "hello", who)
	}
	if code, out, errOut := as("alice", "status --json"); code != 0 || !strings.Contains(out, `"hello-alice"`) || strings.Contains(out, "hello-bob") {
		t.Errorf("alice's status: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := as("alice", ""); code != 0 || !strings.Contains(out, "Your instance is hello-alice") {
		t.Errorf("alice's briefing: exit %d\n%s", code, out)
	}
	if code, _, errOut := as("alice", "reset"); code != 0 {
		t.Errorf("alice's reset: exit %d: %s", code, errOut)
	}
	home := instance.Home{Dir: f.home}
	before, err := instance.LoadState(instanceDir(t, home, "hello-bob"))
	if err != nil {
		t.Fatal(err)
	}
	for _, request := range []string{"reset --instance hello-bob", "check -i hello-bob", "ssh -i hello-bob box", "destroy", "class destroy hello", "down", "solution", "check --labs /tmp"} {
		code, _, errOut := as("alice", request)
		if code != 2 || !strings.Contains(errOut, "not for trainees") {
			t.Errorf("alice %q: exit %d, %s", request, code, errOut)
		}
	}
	after, err := instance.LoadState(instanceDir(t, home, "hello-bob"))
	if err != nil || after.VMs["box"].Domain != before.VMs["box"].Domain || len(f.drv.CallsLike("destroy ")) != 0 {
		t.Errorf("bob's instance changed: %+v → %+v, %v; calls %q", before, after, err, f.drv.Calls())
	}
	if code, _, errOut := as("mallory", "status"); code == 0 || !strings.Contains(errOut, "mallory is not a trainee of the class of hello") {
		t.Errorf("mallory: exit %d, %s", code, errOut)
	}

	keys := t.TempDir()
	for _, who := range []string{"alice", "bob"} {
		_, pub, err := provision.NewKey(who + "@laptop")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(keys, who+".pub"), pub, 0o644)
	}
	ak := filepath.Join(t.TempDir(), "authorized_keys")
	os.WriteFile(ak, []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMine trainer\n"), 0o600)
	for range 2 { // a second run rewrites the class's block, no more
		if code, _, errOut := f.run(t, "class", "keys", "hello", "--keys", keys, "--write", ak); code != 0 {
			t.Fatalf("class keys: exit %d: %s", code, errOut)
		}
	}
	data, _ := os.ReadFile(ak)
	s := string(data)
	if strings.Count(s, `restrict,pty,command="env VLAB_HOME=`) != 2 || !strings.Contains(s, " trainee hello alice\" ssh-ed25519 ") ||
		!strings.Contains(s, " trainee hello bob\" ssh-ed25519 ") || !strings.HasPrefix(s, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMine trainer\n") {
		t.Errorf("authorized_keys:\n%s", s)
	}
}
