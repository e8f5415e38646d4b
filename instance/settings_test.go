package instance

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivers"
	"github.com/vlab-dev/vlab/vm/drivertest"
)

// TestManagerForKeepsTheInstancesDriverAndHost: commands on an instance
// use the driver and host it was made with; a new one gets what was asked
// for; --connect naming another host than the instance's fails at the
// first driver call, before any is made.
func TestManagerForKeepsTheInstancesDriverAndHost(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	for id, st := range map[string]*State{
		"far":  {ID: "far", Lab: "far", Connect: "qemu+ssh://ops@lab1/system", Driver: "libvirt"},
		"box":  {ID: "box", Lab: "box", Driver: "vagrant"},
		"near": {ID: "near", Lab: "near"},
	} {
		dir, _ := h.Instance(id)
		os.MkdirAll(dir, 0o755)
		if err := SaveState(dir, st); err != nil {
			t.Fatal(err)
		}
	}
	var opened []drivers.Config
	s := Settings{Home: h, Connect: "qemu:///system", Open: func(cfg drivers.Config) Opener {
		opened = append(opened, cfg)
		return cfg
	}}
	for _, c := range []struct {
		id, driver, connect string
		wantDriver, wantURI string
		wantErr             string
	}{
		{id: "new", wantDriver: "libvirt", wantURI: "qemu:///system"},
		{id: "new", driver: "vagrant", wantDriver: "vagrant", wantURI: "qemu:///system"},
		{id: "box", wantDriver: "vagrant", wantURI: "qemu:///system"},
		{id: "far", wantDriver: "libvirt", wantURI: "qemu+ssh://ops@lab1/system"},
		{id: "far", connect: "qemu+ssh://ops@lab2/system", wantDriver: "libvirt", wantErr: "instance far runs on qemu+ssh://ops@lab1/system, not qemu+ssh://ops@lab2/system"},
		{id: "near", connect: "qemu+ssh://ops@lab2/system", wantDriver: "libvirt", wantErr: "instance near runs on this machine"},
	} {
		s := s
		s.Driver = c.driver
		if c.connect != "" {
			s.Connect, s.ConnectSet = c.connect, true
		}
		m := s.ManagerFor(c.id)
		if m.DriverName != c.wantDriver || m.Connect != c.wantURI {
			t.Errorf("%+v: driver %q on %q, want %q on %q", c, m.DriverName, m.Connect, c.wantDriver, c.wantURI)
		}
		if c.wantErr == "" {
			continue
		}
		if _, err := m.driver(context.Background()); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%+v: open: %v, want %q", c, err, c.wantErr)
		}
	}
	if len(opened) != 6 || opened[3].URI != "qemu+ssh://ops@lab1/system" || opened[1].Name != "vagrant" {
		t.Errorf("configurations opened: %+v", opened)
	}
}

// TestStatusEachOnItsOwnHost: status asks each instance through its own
// driver; one that cannot be asked gets a row saying why, and the table
// names a remote host and prints the reason on its own line.
func TestStatusEachOnItsOwnHost(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	for id, connect := range map[string]string{"far": "qemu+ssh://ops@lab1/system", "near": ""} {
		dir, _ := h.Instance(id)
		os.MkdirAll(dir, 0o755)
		st := &State{ID: id, Lab: id, Connect: connect, Phase: PhaseReady, VMs: map[string]*VMState{"web": {Domain: "d-" + id, SSHPort: 2222}}}
		if err := SaveState(dir, st); err != nil {
			t.Fatal(err)
		}
	}
	s := Settings{Home: h, Connect: "qemu:///system", Open: func(cfg drivers.Config) Opener {
		if cfg.URI != "qemu:///system" {
			return OpenFunc(func(context.Context) (vm.Driver, error) { return nil, errors.New("lab1 unreachable") })
		}
		d := drivertest.NewFake()
		d.Create(context.Background(), vm.Spec{Name: "d-near"})
		return OpenFunc(func(context.Context) (vm.Driver, error) { return d, nil })
	}}
	rows, err := s.Status(context.Background())
	if err != nil || len(rows) != 2 {
		t.Fatalf("status: %+v, %v", rows, err)
	}
	if rows[0].Instance != "far" || rows[0].State != "unknown" || rows[0].Error != "lab1 unreachable" {
		t.Errorf("unreachable instance: %+v", rows[0])
	}
	if _, err := s.Status(context.Background(), "far"); err == nil {
		t.Error("status of the unreachable instance alone: no error")
	}
	rows[0].Host, rows[0].SSH = "qemu+ssh://ops@lab1/system", "127.0.0.1:2222"
	var out, problems strings.Builder
	if err := WriteStatus(&out, &problems, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "127.0.0.1:2222 on lab1 ") || problems.String() != "vlab: instance far: lab1 unreachable\n" {
		t.Errorf("table:\n%s\nproblems: %q", out.String(), problems.String())
	}
}

func TestTarget(t *testing.T) {
	inst := &Instance{State: &State{ID: "shop", Lab: "shop", VMs: map[string]*VMState{"web": {}, "db": {}}}}
	for _, c := range []struct {
		args         []string
		vm, cmd, err string
	}{
		{nil, "db", "", ""},
		{[]string{"web"}, "web", "", ""},
		{[]string{"web", "--", "ls", "-l"}, "web", "ls -l", ""},
		{[]string{"--", "web"}, "db", "web", ""},
		{[]string{"ls"}, "", "", `lab shop has no VM "ls" (it has db, web); put the command after --`},
	} {
		vm, cmd, err := inst.Target(c.args)
		if vm != c.vm || strings.Join(cmd, " ") != c.cmd || (err == nil) != (c.err == "") || (err != nil && err.Error() != c.err) {
			t.Errorf("%q: %q %q %v", c.args, vm, cmd, err)
		}
	}
	if _, _, err := (&Instance{State: &State{ID: "shop", Lab: "shop"}}).Target(nil); err == nil || !strings.Contains(err.Error(), "run `vlab up shop`") {
		t.Errorf("no VMs yet: %v", err)
	}
}

func TestProvisionerNeedsAValidID(t *testing.T) {
	s := Settings{Home: Home{Dir: t.TempDir()}}
	if _, err := s.Provisioner("../x"); err == nil {
		t.Error("provisioner for ../x: no error")
	}
	if p, err := s.Provisioner("shop"); err != nil || p == nil {
		t.Errorf("provisioner for shop: %v, %v", p, err)
	}
}

// TestPrepareStandbyWithinCancelled: a cancelled wait before the
// preparation returns at once with the context's error.
func TestPrepareStandbyWithinCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := &Manager{Home: Home{Dir: t.TempDir()}}
	if err := m.PrepareStandbyWithin(ctx, "shop", time.Hour, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestStatusProblemSanitised: a problem's text comes from a guest, libvirt
// or a damaged state file; an escape sequence in it (OSC 52 writes the
// clipboard) does not reach the terminal.
func TestStatusProblemSanitised(t *testing.T) {
	var out, problems strings.Builder
	rows := []VMStatus{{Instance: "far", Error: "lab1 \x1b]52;c;aGk=\x07unreachable"}}
	if err := WriteStatus(&out, &problems, rows); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(problems.String(), "\x1b\x07") || !strings.Contains(problems.String(), "unreachable") {
		t.Errorf("problems: %q", problems.String())
	}
}
