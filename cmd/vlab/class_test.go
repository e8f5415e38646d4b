package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/vm"
)

func quietGuest(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
	io.Copy(io.Discard, stdin)
	return 0
}

// TestClassOnFakeDriver: class up of three trainees provisions once and
// adopts twice; status shows each trainee's attempt and checks; reset of
// one trainee restores only theirs; down stops every VM; destroy removes
// every instance and the class, and keeps the golden state.
func TestClassOnFakeDriver(t *testing.T) {
	f := newFakeCLI(t, quietGuest)
	// --force: the fake's VMs take no memory, whatever the host has free.
	code, out, errOut := f.run(t, "class", "up", "hello", "--trainees", "alice,bob,carol", "--force", "--parallel", "2")
	if code != 0 {
		t.Fatalf("class up: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"alice: provisioning vm box", "✓ alice: hello-alice is up", "✓ bob: hello-bob is up", "✓ carol: hello-carol is up"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("class up printed no %q:\n%s", want, errOut)
		}
	}
	if n := strings.Count(errOut, "provisioning vm"); n != 1 {
		t.Errorf("class up provisioned %d times, want once:\n%s", n, errOut)
	}
	if n := len(f.drv.CallsLike("adopt ")); n != 2 {
		t.Errorf("class up adopted %d golden states, want 2 (bob, carol): %q", n, f.drv.Calls())
	}
	home := instance.Home{Dir: f.home}
	states := map[string]*instance.State{}
	for _, who := range []string{"alice", "bob", "carol"} {
		st, err := instance.LoadState(instanceDir(t, home, "hello-"+who))
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := f.drv.VM(st.VMs["box"].Domain); !ok || v.State != vm.StateRunning {
			t.Errorf("%s's VM on the fake: %+v", who, v)
		}
		states[who] = st
	}
	r, err := classroom.LoadRoster(home, "hello")
	if err != nil || len(r.Trainees) != 3 || r.Trainees[1] != (classroom.Trainee{Name: "bob", Instance: "hello-bob"}) {
		t.Errorf("roster %+v, %v", r, err)
	}

	// A second class up leaves those up alone.
	if code, _, errOut := f.run(t, "class", "up", "hello", "--trainees", "alice", "--force"); code != 0 || !strings.Contains(errOut, "already up") {
		t.Errorf("class up again: exit %d: %s", code, errOut)
	}
	if code, out, errOut := f.run(t, "check", "hello", "-i", "hello-alice"); code != 1 {
		t.Errorf("alice's check: exit %d, want 1 (not resolved)\n%s%s", code, out, errOut)
	}
	// hello has no injects: alice's journal records one as a lab with some would.
	j, err := incident.Open(instanceDir(t, home, "hello-alice"))
	if err != nil {
		t.Fatal(err)
	}
	j.Append(incident.Event{Kind: incident.InjectRevealed, Inject: "alert"})
	j.Close()
	rows := classStatus(t, f)
	if len(rows) != 3 || rows[0].Trainee != "alice" || rows[0].State != "running" || rows[0].Injects != 1 || rows[0].Checks != 1 || rows[0].LastCheck == nil ||
		rows[0].LastCheck.Total != 1 || rows[0].LastCheck.Resolved || rows[1].Checks != 0 || rows[1].Attempts != 1 {
		t.Errorf("class status: %+v", rows)
	}
	if code, out, _ := f.run(t, "class", "status", "hello"); code != 0 || !strings.Contains(out, "TRAINEE") || !strings.Contains(out, "0/1 passed") {
		t.Errorf("class status table: exit %d\n%s", code, out)
	}

	restores := func(who string) int { return len(f.drv.CallsLike("restore " + states[who].VMs["box"].Domain + " ")) }
	bob, alice := restores("bob"), restores("alice")
	if code, _, errOut := f.run(t, "class", "reset", "hello", "bob"); code != 0 || !strings.Contains(errOut, "✓ bob: hello-bob is back at the start") {
		t.Errorf("class reset bob: exit %d: %s", code, errOut)
	}
	if restores("bob") != bob+1 || restores("alice") != alice {
		t.Errorf("class reset bob restored bob %d and alice %d times, want 1 and 0", restores("bob")-bob, restores("alice")-alice)
	}
	if rows := classStatus(t, f); rows[1].Attempts != 2 || rows[0].Attempts != 1 {
		t.Errorf("attempts after reset of bob: %+v", rows)
	}
	if code, _, errOut := f.run(t, "class", "reset", "hello", "dave"); code != 2 || !strings.Contains(errOut, `no trainee "dave"; it has alice, bob, carol`) {
		t.Errorf("class reset of a stranger: exit %d: %s", code, errOut)
	}

	if code, _, errOut := f.run(t, "class", "down", "hello"); code != 0 || strings.Count(errOut, " is down") != 3 {
		t.Errorf("class down: exit %d: %s", code, errOut)
	}
	for who, st := range states {
		if v, _ := f.drv.VM(st.VMs["box"].Domain); v.State != vm.StateStopped {
			t.Errorf("%s's VM after class down: %s", who, v.State)
		}
	}
	if rows := classStatus(t, f); rows[2].State != "stopped" {
		t.Errorf("status after class down: %+v", rows[2])
	}

	if code, _, errOut := f.run(t, "class", "destroy", "hello"); code != 0 || strings.Count(errOut, " destroyed") != 3 {
		t.Errorf("class destroy: exit %d: %s", code, errOut)
	}
	for who, st := range states {
		if left, _ := f.drv.FindVMs(context.Background(), map[string]string{"uid": st.UID}); len(left) > 0 {
			t.Errorf("destroy left %s's VMs %v", who, left)
		}
	}
	if _, err := classroom.LoadRoster(home, "hello"); err == nil {
		t.Error("the class is still recorded after destroy")
	}
	if g, _ := f.drv.Goldens(context.Background()); len(g) != 1 {
		t.Errorf("golden states after class destroy: %+v, want hello's kept", g)
	}
	if code, _, errOut := f.run(t, "class", "status", "hello"); code != 2 || !strings.Contains(errOut, "no class of this lab") {
		t.Errorf("class status after destroy: exit %d: %s", code, errOut)
	}
}

func classStatus(t *testing.T, f *fakeCLI) []classroom.TraineeStatus {
	t.Helper()
	code, out, errOut := f.run(t, "class", "status", "hello", "--json")
	var rows []classroom.TraineeStatus
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("class status --json: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	return rows
}

// TestClassUpOneFails: a trainee whose instance cannot come up (its name
// is taken by an instance of another lab, up) does not stop the others;
// the command names it at the end and exits non-zero. The class's
// destroy leaves that other lab's instance alone.
func TestClassUpOneFails(t *testing.T) {
	f := newFakeCLI(t, quietGuest)
	dir := filepath.Join(f.home, "instances", "hello-bob")
	os.MkdirAll(dir, 0o755)
	if err := instance.SaveState(dir, &instance.State{ID: "hello-bob", Lab: "other", Phase: instance.PhaseReady}); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := f.run(t, "class", "up", "hello", "--trainees", "bob,alice,carol", "--force")
	if code == 0 || !strings.Contains(errOut, "✗ bob: ") || !strings.Contains(errOut, "✓ alice") || !strings.Contains(errOut, "✓ carol") ||
		!strings.Contains(errOut, "up failed for 1 of 3 trainees (bob)") {
		t.Errorf("class up with bob's name taken: exit %d\n%s", code, errOut)
	}
	if n := strings.Count(errOut, "provisioning vm"); n != 1 {
		t.Errorf("provisioned %d times, want once (alice, after bob failed alone):\n%s", n, errOut)
	}
	code, _, errOut = f.run(t, "class", "destroy", "hello")
	if code == 0 || !strings.Contains(errOut, "✗ bob: instance hello-bob runs lab other, not hello") || strings.Count(errOut, " destroyed") != 2 {
		t.Errorf("class destroy with bob's name taken: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.json")); err != nil {
		t.Errorf("class destroy removed another lab's instance: %v", err)
	}
	if r, err := classroom.LoadRoster(instance.Home{Dir: f.home}, "hello"); err != nil || len(r.Trainees) != 1 || r.Trainees[0].Name != "bob" {
		t.Errorf("roster after a partial destroy: %+v, %v", r, err)
	}
}

// TestClassUpRefusesARoomTooBig: the capacity check refuses, in one line
// saying how many fit, before anything starts.
func TestClassUpRefusesARoomTooBig(t *testing.T) {
	f := newFakeCLI(t, quietGuest)
	names := make([]string, 400) // 400 × (512 + 128) MiB: 250 GiB
	for i := range names {
		names[i] = "t" + strings.Repeat("x", i%30) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	h, err := classroom.ReadHost("/proc/meminfo", "/sys/kernel/mm/ksm")
	if err != nil || h.AvailableMiB > 200<<10 {
		t.Skipf("this host has room for it (%+v, %v)", h, err)
	}
	code, _, errOut := f.run(t, "class", "up", "hello", "--trainees", strings.Join(names, ","))
	if code != 2 || !strings.Contains(errOut, "a room of 400 needs ~250.0 GiB, the host has ") || strings.Count(errOut, "\n") > 2 {
		t.Errorf("class up of 400: exit %d\n%s", code, errOut)
	}
	if len(f.drv.Calls()) != 0 {
		t.Errorf("a refused room reached the driver: %q", f.drv.Calls())
	}
	if _, err := classroom.LoadRoster(instance.Home{Dir: f.home}, "hello"); err == nil {
		t.Error("a refused room was recorded")
	}
}
