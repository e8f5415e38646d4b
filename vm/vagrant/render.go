package vagrant

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/template"

	"github.com/vlab-dev/vlab"
)

// Project is what a Vagrantfile is rendered from: the VMs of one lab
// instance, which share a folder and an SSH key.
type Project struct {
	// Managed marks a Vagrantfile vlab owns and rewrites (not an export).
	Managed bool
	// KeyPath is the private key Vagrant logs in with, as root.
	KeyPath  string
	Machines []Machine
	// Boot are files the Vagrantfile copies before anything else (exports:
	// kernels from the project folder to where QEMU can read them).
	Boot []Copy
}

// Copy is a file Src, relative to the Vagrantfile, copied to Dst.
type Copy struct{ Src, Dst string }

// Machine is one VM of a Vagrantfile.
type Machine struct {
	Name       string // Vagrant's machine name: the lab's VM name
	Domain     string // libvirt domain name: Prefix + Name
	Prefix     string
	Box        string
	Memory     int
	CPUs       int
	DomainType string // "kvm" or "qemu"
	// Pool is the storage pool Vagrant puts the VM's disk in; empty is
	// vagrant-libvirt's default pool.
	Pool string
	// Kernel and Initrd are paths on the libvirt host; empty means the
	// box's own.
	Kernel, Initrd string
	Cmdline        string
	SSHPort        int
	// Console is the file the serial console is written to; empty is none.
	Console     string
	Networks    []Network
	BootTimeout int // seconds
	// BoxURL is a box file relative to the Vagrantfile (exports).
	BoxURL string
	// Provision are Vagrant provisioners (exports; vlab provisions itself).
	Provision []Provisioner
	// Comment, when set, is written above the machine's definition, one
	// "# " line per line (exports: what the machine is for).
	Comment []string
}

// Provisioner uploads Source to Dest, or runs Script (relative to the
// Vagrantfile) as root.
type Provisioner struct {
	Name, Script string
	Source, Dest string
}

// Network is a lab network a machine joins, on a fixed PCI slot so that
// the guest names its NICs in the lab's order.
type Network struct {
	Name string
	Slot string
	// HostIP, when set, has vagrant-libvirt create the network with this
	// host address; vlab makes its networks itself and leaves it empty.
	HostIP string
}

// NetworkSlot is the PCI slot of a VM's i-th lab network, the same the
// libvirt driver uses.
func NetworkSlot(i int) string { return fmt.Sprintf("0x%02x", 0x11+i) }

var tmpl = template.Must(template.New("Vagrantfile").Funcs(template.FuncMap{"ruby": rubyString}).
	Parse(vlab.VagrantfileTemplate))

// Render writes the Vagrantfile of p, machines in name order.
func Render(w io.Writer, p Project) error {
	sort.Slice(p.Machines, func(i, j int) bool { return p.Machines[i].Name < p.Machines[j].Name })
	for _, m := range p.Machines {
		if m.Name == "" || m.Box == "" || m.SSHPort == 0 {
			return fmt.Errorf("vagrantfile: machine %q lacks a name, box or SSH port", m.Name)
		}
	}
	return tmpl.Execute(w, p)
}

// rubyString quotes s as a Ruby string literal that interpolates nothing.
func rubyString(s string) string {
	q := strconv.Quote(s)
	// A double-quoted Ruby string interpolates #{...} and #@var; escape '#'.
	out := make([]byte, 0, len(q))
	for i := 0; i < len(q); i++ {
		if q[i] == '#' {
			out = append(out, '\\')
		}
		out = append(out, q[i])
	}
	return string(out)
}
