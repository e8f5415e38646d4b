package labfile_test

import (
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

func TestDisksValidated(t *testing.T) {
	wantProblems(t, "invalid-disks.yaml", []string{
		`:5: vms[0].disk: 512M is out of range 1G..256G`,
		`:8: vms[0].disks[1].mount: /srv is mounted twice`,
		`:8: vms[0].disks[1].size: 8M is out of range 16M..64G`,
		`:9: vms[0].disks[2].mount: "srv/data" is not a clean absolute path such as /srv`,
		`:10: vms[0].disks[3].mount: /var is the system's own; mount the disk at a place of the lab's, such as /srv`,
		`:11: vms[0].disks[4].size: "lots" is not a size such as 256M or 2G`,
	})
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"256M": 256 << 20, "1G": 1 << 30, "512MiB": 512 << 20, "2GB": 2 << 30, "64K": 64 << 10} {
		if got, err := labfile.ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12", "M", "-1G", "1.5G", "0M", "3X"} {
		if _, err := labfile.ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) took it", bad)
		}
	}
}
