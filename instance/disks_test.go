package instance

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

func TestDiskScript(t *testing.T) {
	if s := diskScript(&labfile.VM{Name: "web"}); s != "" {
		t.Errorf("a VM that asks for no disk gets a script:\n%s", s)
	}
	s := diskScript(&labfile.VM{Name: "db", Disk: "10G", Disks: []labfile.Disk{{Mount: "/srv/dumps", Size: "256M"}}})
	for _, want := range []string{
		`out=$(resize2fs "$(findmnt -no SOURCE /)" 2>&1) || {`,
		"f=/var/lib/vlab/disks/srv-dumps.img; m=/srv/dumps",
		"fallocate -l 268435456 \"$f.part\" && mkfs.ext4 -q -F \"$f.part\"",
		`grep -q "^$f " /etc/fstab || echo "$f $m ext4 loop,nofail 0 2" >> /etc/fstab`,
		`mountpoint -q "$m" || mount "$m"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q:\n%s", want, s)
		}
	}
	// sh reads it (syntax only: nothing runs).
	check := exec.Command("sh", "-n")
	check.Stdin = strings.NewReader(s)
	if out, err := check.CombinedOutput(); err != nil {
		t.Errorf("sh -n: %v %s", err, out)
	}
	if s := diskScript(&labfile.VM{Disks: []labfile.Disk{{Mount: "/srv", Size: "64M"}}}); strings.Contains(s, "resize2fs") {
		t.Errorf("a VM on the image's disk size resizes:\n%s", s)
	}
}
