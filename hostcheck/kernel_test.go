package hostcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKVMDevice(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "kvm")
	os.WriteFile(dev, nil, 0o600)
	if _, err := kvmDevice(dev); err == nil || !strings.Contains(err.Error(), "chown root:kvm") {
		t.Errorf("a 0600 device not of group kvm: %v", err)
	}
	if d, err := kvmDevice(filepath.Join(dir, "none")); err != nil || !strings.Contains(d, "TCG") {
		t.Errorf("no device: %q, %v", d, err)
	}
}

func TestKSM(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "run"), []byte("0\n"), 0o644)
	if _, err := ksm(dir); err == nil || !strings.Contains(err.Error(), "setup-host") {
		t.Errorf("KSM off: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "run"), []byte("1\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pages_sharing"), []byte("2560\n"), 0o644)
	if d, err := ksm(dir); err != nil || !strings.Contains(d, "on, 10 MiB") {
		t.Errorf("KSM on: %q, %v", d, err)
	}
	if d, err := ksm(filepath.Join(dir, "none")); err != nil || !strings.Contains(d, "not available") {
		t.Errorf("no KSM: %q, %v", d, err)
	}
}
