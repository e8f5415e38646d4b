package labfile

import (
	"fmt"
	pathpkg "path"
	"slices"
	"strconv"
	"strings"
)

// Disk is a filesystem of its own in a VM, of a fixed size, mounted at
// Mount: a full /srv fills only it, as a separate disk would on the day.
// vlab makes it as an ext4 image in the VM's root disk attached as a loop
// device (/var/lib/vlab/disks), so that golden states and resets carry it
// with the rest of the VM.
type Disk struct {
	Mount string `yaml:"mount"`
	Size  string `yaml:"size"`
}

// Limits of disks.
const (
	MinDiskBytes = 16 << 20
	MaxDiskBytes = 64 << 30
	MaxDisks     = 8
	// MaxRootBytes bounds a VM's root disk (vms[].disk).
	MaxRootBytes = 256 << 30
)

// ParseSize reads a size such as 256M, 1G, 512MiB or 2GB (powers of 1024;
// K, M, G and T) in bytes.
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "B"), "i")
	if t == "" {
		return 0, fmt.Errorf("%q is not a size such as 256M or 2G", s)
	}
	if _, err := strconv.ParseUint(t, 10, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit: write 256M or 2G", s)
	}
	shift := map[byte]uint{'K': 10, 'M': 20, 'G': 30, 'T': 40}[t[len(t)-1]]
	if shift == 0 {
		return 0, fmt.Errorf("%q is not a size such as 256M or 2G", s)
	}
	n, err := strconv.ParseUint(t[:len(t)-1], 10, 64)
	if err != nil || n == 0 || n > 1<<20 {
		return 0, fmt.Errorf("%q is not a size such as 256M or 2G", s)
	}
	return n << shift, nil
}

// RootBytes is the size vms[].disk asks for the VM's root disk; 0 keeps
// the image's.
func (v VM) RootBytes() uint64 {
	if v.Disk == "" {
		return 0
	}
	n, _ := ParseSize(v.Disk) // validated
	return n
}

// reserved are mount points a lab's disk may not take: the system's own.
var reserved = []string{"/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/lib/vlab"}

func (v *validator) disks(p path, vm VM) {
	if vm.Disk != "" {
		if n, err := ParseSize(vm.Disk); err != nil {
			v.errf(p.with("disk"), "%v", err)
		} else if n < 1<<30 || n > MaxRootBytes {
			v.errf(p.with("disk"), "%s is out of range 1G..256G", vm.Disk)
		}
	}
	if len(vm.Disks) > MaxDisks {
		v.errf(p.with("disks"), "%d disks; at most %d", len(vm.Disks), MaxDisks)
	}
	var mounts []string
	for i, d := range vm.Disks {
		q := p.with("disks", i)
		m := d.Mount
		switch {
		case !strings.HasPrefix(m, "/") || pathpkg.Clean(m) != m || strings.ContainsAny(m, " \t\n\\'\"$`"):
			v.errf(q.with("mount"), "%q is not a clean absolute path such as /srv", m)
		case slices.Contains(reserved, m) || strings.HasPrefix(m, "/proc/") || strings.HasPrefix(m, "/sys/") || strings.HasPrefix(m, "/dev/") || strings.HasPrefix(m, "/var/lib/vlab/"):
			v.errf(q.with("mount"), "%s is the system's own; mount the disk at a place of the lab's, such as /srv", m)
		case slices.Contains(mounts, m):
			v.errf(q.with("mount"), "%s is mounted twice", m)
		}
		mounts = append(mounts, m)
		if n, err := ParseSize(d.Size); err != nil {
			v.errf(q.with("size"), "%v", err)
		} else if n < MinDiskBytes || n > MaxDiskBytes {
			v.errf(q.with("size"), "%s is out of range 16M..64G", d.Size)
		}
	}
}
