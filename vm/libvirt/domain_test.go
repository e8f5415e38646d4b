package libvirt

import (
	"strings"
	"testing"

	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

func parseDomain(t *testing.T, x string) *libvirtxml.Domain {
	t.Helper()
	var dom libvirtxml.Domain
	if err := dom.Unmarshal(x); err != nil {
		t.Fatalf("domain XML does not parse: %v\n%s", err, x)
	}
	return &dom
}

func TestDomainXML(t *testing.T) {
	spec := vm.Spec{Name: "vlab-web", Memory: 512, CPUs: 2, Accel: vm.AccelKVM, SSHPort: 40022,
		KernelArgs: []string{"vlab.key=AAAA", "init_on_free=1"}, Networks: []string{"net-a", "net-b"},
		Labels: map[string]string{"vm": "web", "instance": "alice"}}
	x, err := domainXML(spec, files{disk: "/pool/d.qcow2", kernel: "/pool/k", initrd: "/pool/i", console: "/pool/c"})
	if err != nil {
		t.Fatal(err)
	}
	dom := parseDomain(t, x)
	if dom.Type != "kvm" || dom.CPU == nil || dom.CPU.Mode != "host-passthrough" {
		t.Errorf("kvm domain: type %q, cpu %+v", dom.Type, dom.CPU)
	}
	if dom.Memory.Value != 512 || dom.Memory.Unit != "MiB" || dom.VCPU.Value != 2 {
		t.Errorf("memory %+v, vcpu %+v", dom.Memory, dom.VCPU)
	}
	if want := "root=/dev/vda rw console=ttyS0 net.ifnames=0 vlab.key=AAAA init_on_free=1"; dom.OS.Cmdline != want {
		t.Errorf("cmdline %q, want %q", dom.OS.Cmdline, want)
	}
	if dom.OS.Kernel != "/pool/k" || dom.OS.Initrd != "/pool/i" || len(dom.OS.BootDevices) != 0 {
		t.Errorf("kernel %q initrd %q boot %v", dom.OS.Kernel, dom.OS.Initrd, dom.OS.BootDevices)
	}
	if diskOf(dom) != "/pool/d.qcow2" {
		t.Errorf("disk %q", diskOf(dom))
	}
	// The console is logged by virtlogd, which bounds the file.
	if s := dom.Devices.Serials; len(s) != 1 || s[0].Source.Pty == nil || s[0].Source.File != nil || s[0].Log == nil || s[0].Log.File != "/pool/c" {
		t.Errorf("serial console %+v: want a pty logged to /pool/c", s)
	}
	var args []string
	for _, a := range dom.QEMUCommandline.Args {
		args = append(args, a.Value)
	}
	if want := "-netdev user,id=vlabssh,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22 -device virtio-net-pci,netdev=vlabssh,addr=0x10"; strings.Join(args, " ") != want {
		t.Errorf("qemu args %q, want %q", args, want)
	}
	if n := len(dom.Devices.Interfaces); n != 2 {
		t.Fatalf("%d interfaces, want 2", n)
	}
	for i, want := range []string{"net-a", "net-b"} {
		nic := dom.Devices.Interfaces[i]
		if nic.Source.Network.Network != want || *nic.Address.PCI.Slot != uint(0x11+i) || *nic.Address.PCI.Bus != 0 {
			t.Errorf("nic %d: network %q slot %#x", i, nic.Source.Network.Network, *nic.Address.PCI.Slot)
		}
	}
	if want := `<vlab xmlns="` + metadataNS + `"><label key="instance">alice</label><label key="vm">web</label></vlab>`; !strings.Contains(dom.Metadata.XML, want) {
		t.Errorf("metadata %q, want %q", dom.Metadata.XML, want)
	}

	spec.Accel, spec.Networks, spec.Labels = vm.AccelTCG, nil, nil
	x, err = domainXML(spec, files{disk: "/pool/d.qcow2", console: "/pool/c"})
	if err != nil {
		t.Fatal(err)
	}
	dom = parseDomain(t, x)
	if dom.Type != "qemu" || dom.CPU != nil || dom.OS.Kernel != "" || dom.OS.Cmdline != "" {
		t.Errorf("tcg, no kernel: type %q cpu %+v kernel %q cmdline %q", dom.Type, dom.CPU, dom.OS.Kernel, dom.OS.Cmdline)
	}
	if len(dom.OS.BootDevices) != 1 || dom.OS.BootDevices[0].Dev != "hd" || len(dom.Devices.Interfaces) != 0 {
		t.Errorf("boot %+v, interfaces %d", dom.OS.BootDevices, len(dom.Devices.Interfaces))
	}
}
