package drivertest

import (
	"testing"

	"github.com/vlab-dev/vlab/vm"
)

// TestFake holds the fake to the contract the real drivers keep.
func TestFake(t *testing.T) {
	f := NewFake()
	Run(t, Harness{Driver: f, Guest: f, Spec: func(t *testing.T, name string) vm.Spec {
		return vm.Spec{Name: "fake-" + name, Memory: 512, CPUs: 1, SSHPort: 2222, Accel: vm.AccelTCG,
			Image:  vm.Image{Name: "debian-12", Digest: "0123456789abcdef0123", Disk: "disk.qcow2"},
			Labels: map[string]string{"uid": "fake", "vm": name}}
	}})
}
