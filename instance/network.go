package instance

import (
	"context"
	"fmt"
	"strings"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
)

// NetworkName is the hypervisor name of lab network net of instance id.
func NetworkName(uid, id, net string) string { return DomainName(uid, id, "net-"+net) }

// nic is one lab-network interface of a VM.
type nic struct {
	network string // lab's name
	addr    string // without prefix length
}

// labNICs assigns addresses: network i of the lab is 10.77.i.0/24 and VM j
// of the lab has host number 10+j on every network it joins. Interfaces
// follow the VM's networks in order, as eth1, eth2...
func labNICs(lab *labfile.Lab) map[string][]nic {
	netIndex := map[string]int{}
	for i, n := range lab.Networks {
		netIndex[n.Name] = i
	}
	out := map[string][]nic{}
	for j, v := range lab.VMs {
		for _, n := range v.Networks {
			out[v.Name] = append(out[v.Name], nic{network: n, addr: fmt.Sprintf("10.77.%d.%d", netIndex[n], 10+j)})
		}
	}
	return out
}

// ensureNetworks starts the instance's lab networks and records them.
func (m *Manager) ensureNetworks(ctx context.Context, drv vm.Driver, inst *Instance, lab *labfile.Lab) error {
	for _, n := range lab.Networks {
		name := NetworkName(inst.State.UID, inst.State.ID, n.Name)
		if err := drv.EnsureNetwork(ctx, name, inst.State.labels()); err != nil {
			return err
		}
		if !contains(inst.State.Networks, name) {
			inst.State.Networks = append(inst.State.Networks, name)
		}
	}
	return SaveState(inst.Dir, inst.State)
}

// startNetworks starts the networks recorded in the state, e.g. after the
// hypervisor host rebooted and before a golden state is restored.
func (m *Manager) startNetworks(ctx context.Context, drv vm.Driver, inst *Instance) error {
	for _, name := range inst.State.Networks {
		if err := drv.EnsureNetwork(ctx, name, inst.State.labels()); err != nil {
			return err
		}
	}
	return nil
}

// hostsBlock is what each VM's /etc/hosts gets so that VMs reach each other
// by name over the lab networks.
func hostsBlock(lab *labfile.Lab) string {
	var b strings.Builder
	b.WriteString("# vlab lab networks\n")
	for _, v := range lab.VMs {
		if nics := labNICs(lab)[v.Name]; len(nics) > 0 {
			fmt.Fprintf(&b, "%s %s\n", nics[0].addr, strings.Join(append([]string{v.Name}, v.Names...), " "))
		}
	}
	return b.String()
}

// hostsOf is the end of VM n's /etc/hosts: the lab's names, and its own
// name resolved locally, so that a lookup (facter's, at every puppet run)
// does not wait for a DNS server a lab VM cannot reach (measured: 10 s).
// On a lab network its own name is its address there only, as elsewhere
// in the lab (Debian's 127.0.1.1 is for a host with no address of its
// own): with both, varnish refused a backend named by the host's name
// (text-cache-depooled, once etcd moved to conf1).
func hostsOf(lab *labfile.Lab, n string) string {
	block := hostsBlock(lab)
	if len(labNICs(lab)[n]) == 0 {
		block += "127.0.1.1 " + n + "\n"
	}
	return block
}

// guestSetup names each VM in /etc/hostname and adds the lab's names to
// its /etc/hosts, so that VMs reach each other by name; and gives it the
// root disk and disks its lab asks for (diskScript).
func (m *Manager) guestSetup(ctx context.Context, inst *Instance, lab *labfile.Lab) error {
	for _, n := range inst.State.VMNames() {
		own := hostsOf(lab, n)
		s, err := inst.Dial(ctx, n)
		if err != nil {
			return err
		}
		cmd := fmt.Sprintf("echo %s > /etc/hostname; [ -s /etc/hosts ] || printf '127.0.0.1 localhost\\n' > /etc/hosts; ", n) +
			"sed -i '/^# vlab lab networks$/,$d' /etc/hosts && cat >> /etc/hosts"
		var out strings.Builder
		code, err := s.Run(ctx, cmd, strings.NewReader(own), &out, &out)
		if err != nil || code != 0 {
			s.Close()
			return fmt.Errorf("set up /etc/hosts in vm %s: exit %d %v %s", n, code, err, out.String())
		}
		v, _ := lab.VM(n)
		if script := diskScript(v); script != "" {
			out.Reset()
			code, err = s.Run(ctx, "sh", strings.NewReader(script), &out, &out)
			if err != nil || code != 0 {
				s.Close()
				return fmt.Errorf("set up the disks of vm %s: exit %d %v %s", n, code, err, strings.TrimSpace(out.String()))
			}
		}
		s.Close()
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
