package images

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMaskGenerators: each idle generator becomes a link to /dev/null,
// also over a link already there; fstab's generator is not touched.
func TestMaskGenerators(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "etc/systemd/system-generators")
	os.MkdirAll(dir, 0o755)
	os.Symlink("/elsewhere", filepath.Join(dir, "systemd-sysv-generator"))
	if err := maskGenerators(root); err != nil {
		t.Fatal(err)
	}
	for _, g := range idleGenerators {
		if to, err := os.Readlink(filepath.Join(dir, g)); err != nil || to != "/dev/null" {
			t.Errorf("%s: %q %v, want a link to /dev/null", g, to, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "systemd-fstab-generator")); !os.IsNotExist(err) {
		t.Errorf("fstab's generator masked: %v", err)
	}
}
