package images

import (
	"fmt"
	"os"
	"path/filepath"
)

// systemd runs every generator on each `systemctl daemon-reload`, and a
// lab's provisioning reloads often: puppet's service resources reload on
// each unit file, enable and unmask (28 reloads for one cache node of
// kit-7). Under TCG each generator costs 0.5-3 s to start, so a reload
// took 7.6 s in an idle guest, 4.7 s without the generators below, which
// a lab VM never needs: no encrypted, verity or integrity volumes, no GPT
// auto-mounts, hibernation, offline updates, `systemd.run=` or rc.local,
// and no SysV-only services (the image's packages all ship units).
// fstab's and getty's generators stay (vlab's extra disks and the serial
// console).
var idleGenerators = []string{
	"systemd-cryptsetup-generator", "systemd-debug-generator", "systemd-gpt-auto-generator",
	"systemd-hibernate-resume-generator", "systemd-integritysetup-generator",
	"systemd-veritysetup-generator", "systemd-system-update-generator",
	"systemd-sysv-generator", "systemd-run-generator", "systemd-rc-local-generator",
}

// maskGenerators masks idleGenerators in the image under root: a link to
// /dev/null in /etc/systemd/system-generators, as systemd documents.
func maskGenerators(root string) error {
	dir := filepath.Join(root, "etc/systemd/system-generators")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, g := range idleGenerators {
		p := filepath.Join(dir, g)
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return err
		}
		if err := os.Symlink("/dev/null", p); err != nil {
			return fmt.Errorf("mask generator %s: %w", g, err)
		}
	}
	return nil
}
