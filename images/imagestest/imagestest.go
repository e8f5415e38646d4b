// Package imagestest makes real qcow2 disks for tests of packages that use
// images.
package imagestest

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Disk makes a small, real qcow2 disk with qemu-img for tests, and
// skips the test when qemu-img is not installed.
func Disk(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("qemu-img"); err != nil {
		t.Skip("qemu-img not installed")
	}
	p := filepath.Join(t.TempDir(), "disk.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", p, "1G").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v: %s", err, out)
	}
	return p
}
