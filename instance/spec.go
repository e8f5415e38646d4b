package instance

import (
	"fmt"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
)

// vmSpec is VM v of the instance as the driver makes it.
func vmSpec(inst *Instance, v labfile.VM, img *images.Image, accel vm.Accel, pub string, nics []nic, port int) vm.Spec {
	// init_on_free zeroes freed pages, so that after dropping caches the
	// saved memory holds only what is in use and restores faster.
	args := []string{"systemd.hostname=" + v.Name, "vlab.key=" + pub, "init_on_free=1"}
	var networks []string
	for k, n := range nics {
		networks = append(networks, NetworkName(inst.State.UID, inst.State.ID, n.network))
		args = append(args, fmt.Sprintf("vlab.ip.eth%d=%s/24", k+1, n.addr))
	}
	return vm.Spec{Name: DomainName(inst.State.UID, inst.State.ID, v.Name), Memory: v.Memory, CPUs: v.CPUs, Accel: accel, SSHPort: port,
		Image:      vm.Image{Name: img.Name, Digest: img.Digest, Disk: img.Disk, Kernel: img.Kernel, Initrd: img.Initrd},
		KernelArgs: args, Networks: networks, Labels: inst.State.vmLabels(v.Name), DiskBytes: v.RootBytes()}
}
