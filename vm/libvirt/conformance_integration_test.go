//go:build integration

package libvirt_test

import (
	"context"
	"testing"

	"github.com/vlab-dev/vlab/vm/drivertest"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// TestIntegrationConformance runs the drivers' suite on a real libvirtd.
func TestIntegrationConformance(t *testing.T) {
	specs := drivertest.NewRealSpecs(t, "vlab-test-libvirt-")
	d, err := libvirt.Connect(context.Background(), libvirt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A cleanup, not a defer: the suite destroys its VM in its own
	// cleanup, which runs before this one and after a defer.
	t.Cleanup(func() { d.Close() })
	drivertest.Run(t, drivertest.Harness{Driver: d, Guest: drivertest.SSHGuest{Key: specs.Key}, Spec: specs.Spec})
}
