package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/images/imagestest"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivers"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// fakeCLI runs the real CLI with its VMs on a fake driver whose guests
// serve SSH, in a temporary VLAB_HOME holding a tiny debian-12 image.
type fakeCLI struct {
	home string
	drv  *drivertest.Fake
	mu   sync.Mutex
	cfgs []drivers.Config // what the commands asked to open
}

func newFakeCLI(t *testing.T, guest drivertest.GuestHandler) *fakeCLI {
	t.Helper()
	f := &fakeCLI{home: t.TempDir(), drv: drivertest.NewFakeSSH(t, guest)}
	t.Setenv("VLAB_HOME", f.home)
	t.Setenv("VLAB_ACCEL", "tcg")
	// The standby preparation runs in a process of its own, which cannot
	// see this process's fake.
	t.Setenv("VLAB_STANDBY", "0")
	// Nothing may reach a real libvirtd.
	t.Setenv("VLAB_LIBVIRT_SOCKET", filepath.Join(t.TempDir(), "no-libvirt-sock"))
	for _, v := range []string{"VLAB_CONNECT", "VLAB_DRIVER", "VLAB_INSTANCE"} {
		t.Setenv(v, "") // restored after the test
		os.Unsetenv(v)
	}
	store := &images.Store{Dir: filepath.Join(f.home, "images")}
	if _, err := store.Import(context.Background(), "debian-12", images.Files{Disk: imagestest.Disk(t)}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fakeCLI) open(cfg drivers.Config) instance.Opener {
	f.mu.Lock()
	f.cfgs = append(f.cfgs, cfg)
	f.mu.Unlock()
	return instance.OpenFunc(func(context.Context) (vm.Driver, error) { return f.drv, nil })
}

func (f *fakeCLI) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"vlab", "--labs", filepath.Join("..", "..", "labs")}, args...)
	code := runWith(context.Background(), full, strings.NewReader(""), &out, &errb, f.open)
	return code, out.String(), errb.String()
}

// TestLifecycleOnFakeDriver drives up, check, reset, status and destroy of
// the hello lab through the real CLI, its VMs on the fake driver: the
// guest answers the lab's probe as not resolved, then as resolved.
func TestLifecycleOnFakeDriver(t *testing.T) {
	var resolved atomic.Bool
	f := newFakeCLI(t, func(_ context.Context, _, cmd string, stdin io.Reader, stdout, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		if strings.Contains(cmd, "cat /etc/motd") && resolved.Load() {
			fmt.Fprintln(stdout, "vlab hello lab")
		}
		return 0
	})

	code, out, errOut := f.run(t, "up", "hello")
	if code != 0 || !strings.Contains(errOut, "hello is up") || !strings.Contains(out, "vlab check hello") {
		t.Fatalf("up: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	dir := instanceDir(t, instance.Home{Dir: f.home}, "hello")
	st, err := instance.LoadState(dir)
	if err != nil {
		t.Fatal(err)
	}
	box := st.VMs["box"]
	if v, ok := f.drv.VM(box.Domain); !ok || v.State != vm.StateRunning || v.Spec.Labels["uid"] != st.UID || v.Spec.Accel != vm.AccelTCG {
		t.Fatalf("after up, vm %s on the fake: %+v", box.Domain, v)
	}
	if st.Phase != instance.PhaseReady || st.Golden == nil || box.HostKey == "" {
		t.Errorf("state after up: %+v, box %+v", st, box)
	}
	if !ranCommand(f.drv, `echo "vlab hello lab" > /etc/motd`) {
		t.Errorf("the lab's provision step never reached the guest: %v", f.drv.Commands())
	}
	if c := f.cfgs[0]; c.Name != "libvirt" || c.URI != "qemu:///system" {
		t.Errorf("up opened driver %q on %q, want libvirt on qemu:///system", c.Name, c.URI)
	}

	if code, out, errOut := f.run(t, "check", "hello"); code != 1 || !strings.Contains(out+errOut, "motd-greets") {
		t.Errorf("check before the fix: exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	resolved.Store(true)
	if code, out, errOut := f.run(t, "check", "hello"); code != 0 {
		t.Errorf("check after the fix: exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}

	restores := len(f.drv.CallsLike("restore " + box.Domain + " "))
	if code, out, errOut := f.run(t, "reset", "hello"); code != 0 || !strings.Contains(errOut, "back at its golden state") {
		t.Errorf("reset: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if n := len(f.drv.CallsLike("restore " + box.Domain + " ")); n != restores+1 {
		t.Errorf("reset restored vm box %d times, want once: %q", n-restores, f.drv.Calls())
	}

	code, out, errOut = f.run(t, "status", "--json")
	var rows []instance.VMStatus
	if err := json.Unmarshal([]byte(out), &rows); code != 0 || err != nil {
		t.Fatalf("status --json: exit %d, %v\nstdout: %s\nstderr: %s", code, err, out, errOut)
	}
	if len(rows) != 1 || rows[0].Instance != "hello" || rows[0].VM != "box" || rows[0].State != "running" || !rows[0].Golden {
		t.Errorf("status rows %+v", rows)
	}

	if code, _, errOut := f.run(t, "destroy", "hello"); code != 0 || !strings.Contains(errOut, "hello destroyed") {
		t.Errorf("destroy: exit %d: %s", code, errOut)
	}
	ctx := context.Background()
	if left, _ := f.drv.FindVMs(ctx, map[string]string{"uid": st.UID}); len(left) > 0 {
		t.Errorf("destroy left VMs %v", left)
	}
	if left, _ := f.drv.FindNetworks(ctx, map[string]string{"uid": st.UID}); len(left) > 0 {
		t.Errorf("destroy left networks %v", left)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("instance folder after destroy: %v", err)
	}
}

func ranCommand(f *drivertest.Fake, sub string) bool {
	for _, c := range f.Commands() {
		if strings.Contains(c.Cmd, sub) {
			return true
		}
	}
	return false
}

// TestStandbyVerbTakesTheID: the background preparation is started with
// the instance ID as its argument; a VLAB_INSTANCE inherited from the
// command that started it must not send it to another instance.
func TestStandbyVerbTakesTheID(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	if code, _, errOut := f.run(t, "up", "hello"); code != 0 {
		t.Fatalf("up: exit %d: %s", code, errOut)
	}
	t.Setenv("VLAB_STANDBY", "1")
	t.Setenv("VLAB_INSTANCE", "other")
	if code, _, errOut := f.run(t, "standby", "hello"); code != 0 {
		t.Fatalf("standby: exit %d: %s", code, errOut)
	}
	if got := f.drv.CallsLike("prepare "); len(got) != 1 {
		t.Errorf("standby of hello prepared %q, want one standby", got)
	}
}
