package libvirt

import (
	"encoding/xml"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// metadataNS names vlab's element in a domain's or network's <metadata>.
const metadataNS = "https://github.com/vlab-dev/vlab/xmlns/domain/1"

type labelsXML struct {
	XMLName xml.Name   `xml:"vlab"`
	NS      string     `xml:"xmlns,attr"`
	Labels  []labelXML `xml:"label"`
}

type labelXML struct {
	Key   string `xml:"key,attr"`
	Value string `xml:",chardata"`
}

// agentChannel is the virtio-serial port the QEMU guest agent listens on.
const agentChannel = "org.qemu.guest_agent.0"

// netdevSSH is the QEMU id of the user-mode network that carries the SSH
// port forward; a standby takes the forward over by this id.
const netdevSSH = "vlabssh"

// files are the pool paths a domain uses.
type files struct {
	disk, kernel, initrd, console string
}

// domainXML renders the libvirt definition of spec. The SSH port forward
// uses QEMU's user-mode network on 127.0.0.1 (restrict=on: the guest cannot
// reach out), attached on a fixed PCI slot so that a saved state restores.
func domainXML(spec vm.Spec, f files) (string, error) {
	dom := &libvirtxml.Domain{
		Type:   map[vm.Accel]string{vm.AccelKVM: "kvm", vm.AccelTCG: "qemu"}[spec.Accel],
		Name:   spec.Name,
		Memory: &libvirtxml.DomainMemory{Value: uint(spec.Memory), Unit: "MiB"},
		VCPU:   &libvirtxml.DomainVCPU{Value: uint(spec.CPUs)},
		OS: &libvirtxml.DomainOS{
			Type: &libvirtxml.DomainOSType{Arch: "x86_64", Machine: "pc", Type: "hvm"},
		},
		Features:   &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}},
		Clock:      &libvirtxml.DomainClock{Offset: "utc"},
		OnPoweroff: "destroy", OnReboot: "restart", OnCrash: "destroy",
		Devices: &libvirtxml.DomainDeviceList{
			Disks: []libvirtxml.DomainDisk{{
				Device: "disk",
				Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: "qcow2", Cache: "unsafe", Discard: "unmap"},
				Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: f.disk}},
				Target: &libvirtxml.DomainDiskTarget{Dev: "vda", Bus: "virtio"},
			}},
			// The console goes through virtlogd, which rotates the file
			// (2 MiB, 3 old copies by default): a guest that floods its
			// console cannot fill the host's disk, as a plain file would.
			Serials: []libvirtxml.DomainSerial{{
				Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}},
				Log:    &libvirtxml.DomainChardevLog{File: f.console, Append: "on"},
			}},
			RNGs: []libvirtxml.DomainRNG{{Model: "virtio",
				Backend: &libvirtxml.DomainRNGBackend{Random: &libvirtxml.DomainRNGBackendRandom{Device: "/dev/urandom"}}}},
			// The QEMU guest agent's channel: reset sets the clock through it.
			Channels: []libvirtxml.DomainChannel{{
				Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind"}},
				Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: agentChannel}},
			}},
			MemBalloon:  &libvirtxml.DomainMemBalloon{Model: "none"},
			Controllers: []libvirtxml.DomainController{{Type: "usb", Model: "none"}},
		},
		QEMUCommandline: &libvirtxml.DomainQEMUCommandline{Args: []libvirtxml.DomainQEMUCommandlineArg{
			{Value: "-netdev"}, {Value: fmt.Sprintf("user,id=%s,restrict=on,hostfwd=tcp:127.0.0.1:%d-:22", netdevSSH, spec.SSHPort)},
			{Value: "-device"}, {Value: "virtio-net-pci,netdev=" + netdevSSH + ",addr=0x10"},
		}},
	}
	if spec.Accel == vm.AccelKVM {
		dom.CPU = &libvirtxml.DomainCPU{Mode: "host-passthrough"}
	}
	if f.kernel != "" {
		dom.OS.Kernel, dom.OS.Initrd = f.kernel, f.initrd
		dom.OS.Cmdline = KernelCmdline(spec.KernelArgs)
	} else {
		dom.OS.BootDevices = []libvirtxml.DomainBootDevice{{Dev: "hd"}}
	}
	for i, n := range spec.Networks {
		dom.Devices.Interfaces = append(dom.Devices.Interfaces, libvirtxml.DomainInterface{
			Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: n}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: "virtio"},
			Address: &libvirtxml.DomainAddress{PCI: &libvirtxml.DomainAddressPCI{
				Domain: uintp(0), Bus: uintp(0), Slot: uintp(uint(0x11 + i)), Function: uintp(0)}},
		})
	}
	md, err := labelsXMLText(spec.Labels)
	if err != nil {
		return "", err
	}
	dom.Metadata = &libvirtxml.DomainMetadata{XML: md}
	return dom.Marshal()
}

func uintp(v uint) *uint { return &v }

// KernelCmdline is a vlab guest's kernel command line with extra arguments.
func KernelCmdline(extra []string) string {
	return strings.Join(append([]string{"root=/dev/vda", "rw", "console=ttyS0", "net.ifnames=0"}, extra...), " ")
}

// labelsXMLText is vlab's metadata element holding labels, for a domain's
// or a network's <metadata>.
func labelsXMLText(labels map[string]string) (string, error) {
	lx := labelsXML{NS: metadataNS}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lx.Labels = append(lx.Labels, labelXML{Key: k, Value: labels[k]})
	}
	b, err := xml.Marshal(lx)
	return string(b), err
}

// diskOf returns the file behind the domain's vda.
func diskOf(dom *libvirtxml.Domain) string {
	if dom.Devices == nil {
		return ""
	}
	for _, d := range dom.Devices.Disks {
		if d.Target != nil && d.Target.Dev == "vda" && d.Source != nil && d.Source.File != nil {
			return d.Source.File.File
		}
	}
	return ""
}

func setDisk(dom *libvirtxml.Domain, path string) {
	for i, d := range dom.Devices.Disks {
		if d.Target != nil && d.Target.Dev == "vda" {
			dom.Devices.Disks[i].Source = &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: path}}
			dom.Devices.Disks[i].BackingStore = nil
		}
	}
}

// withoutForward returns a copy of dom whose user-mode network has no port
// forward: a standby waits without the VM's SSH port, which the VM holds.
// (A paused standby sends nothing on the lab networks: measured with
// tcpdump on a lab bridge, QEMU holds back its post-restore RARP frames
// until the resume, so the running VM's MAC addresses stay where they are.)
func withoutForward(dom *libvirtxml.Domain) *libvirtxml.Domain {
	c := *dom
	if dom.QEMUCommandline == nil {
		return &c
	}
	cl := *dom.QEMUCommandline
	cl.Args = append([]libvirtxml.DomainQEMUCommandlineArg(nil), dom.QEMUCommandline.Args...)
	for i, a := range cl.Args {
		if strings.HasPrefix(a.Value, "user,id="+netdevSSH+",") {
			cl.Args[i].Value = hostfwd.ReplaceAllString(a.Value, "")
		}
	}
	c.QEMUCommandline = &cl
	return &c
}

// withLinksDown is dom with its lab network links down: a standby is
// restored so, and TakeOver brings them up. Its first run (Warm) sends
// frames with the VM's MAC addresses (QEMU's announcement after a
// restore): on the lab's bridge they would draw the VM's traffic to the
// standby.
func withLinksDown(dom *libvirtxml.Domain) *libvirtxml.Domain {
	c := *dom
	dev := *dom.Devices
	dev.Interfaces = append([]libvirtxml.DomainInterface(nil), dom.Devices.Interfaces...)
	for i := range dev.Interfaces {
		dev.Interfaces[i].Link = &libvirtxml.DomainInterfaceLink{State: "down"}
	}
	c.Devices = &dev
	return &c
}

var (
	hostfwd     = regexp.MustCompile(`,hostfwd=[^,]*`)
	hostfwdPort = regexp.MustCompile(`,hostfwd=tcp:127\.0\.0\.1:(\d+)-:22`)
)

// forwardPort is the host port of dom's SSH forward; 0 for none.
func forwardPort(dom *libvirtxml.Domain) int {
	if dom.QEMUCommandline == nil {
		return 0
	}
	for _, a := range dom.QEMUCommandline.Args {
		if m := hostfwdPort.FindStringSubmatch(a.Value); m != nil && strings.HasPrefix(a.Value, "user,id="+netdevSSH+",") {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// setForwardPort moves the SSH port forward of dom to port.
func setForwardPort(dom *libvirtxml.Domain, port int) {
	if dom.QEMUCommandline == nil {
		return
	}
	fwd := fmt.Sprintf(",hostfwd=tcp:127.0.0.1:%d-:22", port)
	for i, a := range dom.QEMUCommandline.Args {
		if strings.HasPrefix(a.Value, "user,id="+netdevSSH+",") {
			dom.QEMUCommandline.Args[i].Value = hostfwd.ReplaceAllString(a.Value, "") + fwd
		}
	}
}
