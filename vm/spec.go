package vm

import (
	"fmt"
	"strings"
)

// Accel is how a VM's CPU is run: KVM hardware virtualization or TCG
// software emulation.
type Accel string

// The accelerators vlab knows.
const (
	AccelKVM Accel = "kvm"
	AccelTCG Accel = "tcg"
)

// ParseAccel reads an accelerator name as given in VLAB_ACCEL or a flag.
func ParseAccel(s string) (Accel, error) {
	switch a := Accel(strings.ToLower(strings.TrimSpace(s))); a {
	case AccelKVM, AccelTCG:
		return a, nil
	}
	return "", fmt.Errorf("accelerator %q is not kvm or tcg", s)
}

// Image is a base image as a driver needs it: local files and a digest
// that names them on the hypervisor host.
type Image struct {
	Name   string
	Digest string // sha256 hex of the disk, names the image everywhere
	Disk   string // qcow2 path on the machine running vlab
	Kernel string // optional: direct kernel boot
	Initrd string
}

// Spec describes a VM to create.
type Spec struct {
	// Name is the VM's name on the hypervisor host; unique there.
	Name   string
	Memory int // MiB
	CPUs   int
	Image  Image
	Accel  Accel
	// SSHPort is the 127.0.0.1 port on the hypervisor host forwarded to the
	// guest's port 22.
	SSHPort int
	// KernelArgs are appended to the kernel command line (direct kernel boot).
	KernelArgs []string
	// Networks are lab-internal networks the VM joins, in NIC order after
	// the management NIC.
	Networks []string
	// Labels are recorded with the VM so that vlab can find its VMs again.
	Labels map[string]string
	// DiskBytes is the size of the VM's disk, at least its image's; 0
	// keeps the image's. The guest grows its filesystem to it.
	DiskBytes uint64
}

// Validate reports the first thing wrong with a spec.
func (s Spec) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("vm spec: empty name")
	case s.Memory < 64:
		return fmt.Errorf("vm %s: memory %d MiB is too small", s.Name, s.Memory)
	case s.CPUs < 1:
		return fmt.Errorf("vm %s: needs at least one CPU", s.Name)
	case s.Image.Disk == "" || len(s.Image.Digest) < 16:
		return fmt.Errorf("vm %s: no base image", s.Name)
	case s.SSHPort <= 0 || s.SSHPort > 65535:
		return fmt.Errorf("vm %s: SSH port %d out of range", s.Name, s.SSHPort)
	case s.Accel != AccelKVM && s.Accel != AccelTCG:
		return fmt.Errorf("vm %s: accelerator %q is not kvm or tcg", s.Name, s.Accel)
	}
	return nil
}
