package instance

import (
	"fmt"
	"strings"

	"github.com/vlab-dev/vlab/internal/shquote"
	"github.com/vlab-dev/vlab/labfile"
)

// disksDir is where a VM's disks of their own (vms[].disks) live: ext4
// images in its root disk, attached as loop devices, so that saved states
// carry them with the rest of the VM.
const disksDir = "/var/lib/vlab/disks"

// diskScript is the shell script that gives VM v, at its first boot, the
// root filesystem and the disks its lab asks for; "" when it asks for
// neither. Run again, it changes nothing.
func diskScript(v *labfile.VM) string {
	if v == nil || (v.Disk == "" && len(v.Disks) == 0) {
		return ""
	}
	var b strings.Builder
	b.WriteString("set -e\n")
	if v.Disk != "" {
		// The disk is larger than the image's: the filesystem follows.
		b.WriteString("out=$(resize2fs \"$(findmnt -no SOURCE /)\" 2>&1) || { echo \"$out\" >&2; exit 1; }\n")
	}
	if len(v.Disks) > 0 {
		fmt.Fprintf(&b, "mkdir -p %s\n", disksDir)
	}
	for _, d := range v.Disks {
		size, _ := labfile.ParseSize(d.Size) // validated
		img := shquote.Quote(disksDir + "/" + diskName(d.Mount) + ".img")
		m := shquote.Quote(d.Mount)
		fmt.Fprintf(&b, "f=%s; m=%s\n", img, m)
		fmt.Fprintf(&b, "[ -e \"$f\" ] || { fallocate -l %d \"$f.part\" && mkfs.ext4 -q -F \"$f.part\" && mv \"$f.part\" \"$f\"; }\n", size)
		b.WriteString("mkdir -p \"$m\"\n")
		b.WriteString("grep -q \"^$f \" /etc/fstab || echo \"$f $m ext4 loop,nofail 0 2\" >> /etc/fstab\n")
		b.WriteString("mountpoint -q \"$m\" || mount \"$m\"\n")
	}
	return b.String()
}

// diskName is a disk's file name from its mount point: /srv/dumps is
// srv-dumps.
func diskName(mount string) string {
	return strings.ReplaceAll(strings.Trim(mount, "/"), "/", "-")
}
