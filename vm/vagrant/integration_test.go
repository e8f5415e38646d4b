//go:build integration

package vagrant_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivertest"
	"github.com/vlab-dev/vlab/vm/libvirt"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

// TestIntegrationConformance runs the drivers' suite on real Vagrant with
// vagrant-libvirt and a real libvirtd; scripts/test runs it inside the
// network namespace libvirtd (and so Vagrant's management network) lives in.
func TestIntegrationConformance(t *testing.T) {
	if _, err := exec.LookPath("vagrant"); err != nil {
		t.Skip("vagrant is not installed")
	}
	specs := drivertest.NewRealSpecs(t, "vlab-test-vagrant-")
	lv, err := libvirt.Connect(context.Background(), libvirt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup, not a defer: the suite destroys its VM in its own
	// cleanup, which runs before this one and after a defer.
	t.Cleanup(func() { lv.Close() })
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(key, specs.Key, 0o600); err != nil {
		t.Fatal(err)
	}
	cmder := vagrant.Exec{Verbose: testWriter{t}}
	store := &images.Store{Dir: filepath.Dir(filepath.Dir(specs.Image.Disk))}
	d, err := vagrant.New(vagrant.Options{Cmder: cmder, Domains: lv, Index: filepath.Join(dir, "index"),
		Boxes: vagrant.BoxAdder{Cmder: cmder, TempDir: dir, Pack: func(ctx context.Context, img vm.Image, path string) error {
			i, err := store.Get(img.Name)
			if err != nil {
				return err
			}
			return i.PackBox(ctx, path, nil)
		}},
		Project: func(vm.Spec) (string, string) { return filepath.Join(dir, "project"), key }})
	if err != nil {
		t.Fatal(err)
	}
	drivertest.Run(t, drivertest.Harness{Driver: d, Guest: drivertest.SSHGuest{Key: specs.Key}, Spec: specs.Spec})
}

// testWriter shows vagrant's output in the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
