package instance

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/vm/drivers"
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
