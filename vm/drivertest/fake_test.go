package drivertest

import (
	"testing"

	"github.com/vlab-dev/vlab/vm"
)

// TestFake holds the fake to the contract the real drivers keep.
func TestFake(t *testing.T) {
	f := NewFake()
	port := 2222
	Run(t, Harness{Driver: f, Guest: f, Spec: func(t *testing.T, name string) vm.Spec {
		port++ // one port per VM of a test, as real specs have
		return fakeSpec(name, port)
	}})
}

// TestFakeSSH runs the suite on the fake with SSH guests: the suite's
// commands go over SSH, to whichever guest serves the VM's port, with the
// host key that guest was saved with.
func TestFakeSSH(t *testing.T) {
	f := NewFakeSSH(t, nil)
	Run(t, Harness{Driver: f, Guest: f, Spec: func(t *testing.T, name string) vm.Spec {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		return fakeSpec(name, port)
	}})
	if len(f.Commands()) == 0 {
		t.Error("no command reached a guest over SSH")
	}
}

func fakeSpec(name string, port int) vm.Spec {
	return vm.Spec{Name: "fake-" + name, Memory: 512, CPUs: 1, SSHPort: port, Accel: vm.AccelTCG,
		Image:  vm.Image{Name: "debian-12", Digest: "0123456789abcdef0123", Disk: "disk.qcow2"},
		Labels: map[string]string{"uid": "fake", "vm": name}}
}
