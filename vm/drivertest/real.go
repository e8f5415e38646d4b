package drivertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
)

// SSHGuest reaches real guests the way vlab does: as root over SSH on
// 127.0.0.1:SSHPort, with the key the spec put on the kernel command line.
type SSHGuest struct {
	Key []byte
}

// Exec dials until the guest answers or ctx ends and runs cmd.
func (g SSHGuest) Exec(ctx context.Context, spec vm.Spec, cmd string) (string, error) {
	s, err := provision.WaitSSH(ctx, provision.SSHConfig{Addr: fmt.Sprintf("127.0.0.1:%d", spec.SSHPort),
		Key: g.Key, HostKeys: &provision.HostKeys{}})
	if err != nil {
		return "", err
	}
	defer s.Close()
	var out, errb strings.Builder
	code, err := s.Run(ctx, cmd, nil, &out, &errb)
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, errb.String())
	}
	return out.String(), err
}

// RealSpecs makes specs of real VMs for integration tests: the base image
// debian-12 of the store at $VLAB_HOME (built when missing), a fresh key,
// a free port per VM, TCG unless VLAB_ACCEL says kvm.
type RealSpecs struct {
	Prefix string // names the VMs, e.g. "vlab-test-libvirt-"
	Image  vm.Image
	Key    []byte
	args   []string
}

// NewRealSpecs finds or builds the image and makes a key.
func NewRealSpecs(t *testing.T, prefix string) *RealSpecs {
	t.Helper()
	home := os.Getenv("VLAB_HOME")
	if home == "" {
		home = "/var/lib/vlab-test"
	}
	store := &images.Store{Dir: home + "/images"}
	img, err := store.Get("debian-12")
	if errors.Is(err, images.ErrNotFound) {
		r, lerr := images.Lookup("debian-12")
		if lerr != nil {
			t.Fatal(lerr)
		}
		img, err = store.Build(context.Background(), r, images.BuildOptions{})
	}
	if err != nil {
		t.Fatalf("base image: %v", err)
	}
	priv, _, err := provision.NewKey("vlab-drivertest")
	if err != nil {
		t.Fatal(err)
	}
	pub, err := provision.AuthorizedBase64(priv)
	if err != nil {
		t.Fatal(err)
	}
	return &RealSpecs{Prefix: prefix, Key: priv, args: []string{"vlab.key=" + pub},
		Image: vm.Image{Name: img.Name, Digest: img.Digest, Disk: img.Disk, Kernel: img.Kernel, Initrd: img.Initrd}}
}

// Spec returns the spec of VM name.
func (r *RealSpecs) Spec(t *testing.T, name string) vm.Spec {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	accel := vm.AccelTCG
	if a, err := vm.ParseAccel(os.Getenv("VLAB_ACCEL")); err == nil {
		accel = a
	}
	return vm.Spec{Name: r.Prefix + name, Memory: 512, CPUs: 1, Accel: accel, SSHPort: port, Image: r.Image,
		KernelArgs: append([]string{"systemd.hostname=" + name}, r.args...),
		Labels:     map[string]string{"instance": strings.TrimSuffix(r.Prefix, "-"), "vm": name}}
}
