package images

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/cmdrun"
	"github.com/vlab-dev/vlab/internal/staging"
)

// mgmtNetwork is the systemd-networkd file a box adds to its image: DHCP on
// the NIC vlab's Vagrantfile puts Vagrant's management network on (the last
// PCI slot), which vagrant-libvirt needs to learn the guest's address. The
// NICs of the image itself keep their static setup.
const mgmtNetwork = `# Vagrant's management network (vagrant-libvirt), added to vlab's box.
[Match]
Path=pci-0000:00:1f.0

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no

[DHCPv4]
UseDNS=no
UseRoutes=no
`

const mgmtNetworkFile = "05-vagrant-mgmt.network"

// boxVagrantfile is the box's own Vagrantfile: direct kernel boot from the
// box's files, root login.
const boxVagrantfile = `# vlab base image %s (sha256:%s) as a Vagrant box for vagrant-libvirt.
Vagrant.configure("2") do |config|
  config.ssh.username = "root"
  config.vm.provider :libvirt do |lv|
    lv.kernel = File.expand_path("vmlinuz", __dir__)
    lv.initrd = File.expand_path("initrd.img", __dir__)
    lv.cmd_line = "root=/dev/vda rw console=ttyS0 net.ifnames=0"
    lv.management_network_pci_bus = "0x00"
    lv.management_network_pci_slot = "0x1f"
  end
end
`

// PackBox writes img as a Vagrant box for the libvirt provider to path: a
// tar of metadata.json, a Vagrantfile, box.img (the disk, with DHCP for
// Vagrant's management network added) and the kernel and initrd. It needs
// qemu-img and debugfs.
func (img *Image) PackBox(ctx context.Context, path string, verbose io.Writer) error {
	if img.Kernel == "" {
		return fmt.Errorf("image %s boots from its own bootloader; vlab boxes need direct kernel boot", img.Name)
	}
	// A box is often shared: a disk that reads another file would carry
	// that file's bytes into it.
	info, err := CheckDisk(ctx, img.Disk)
	if err != nil {
		return fmt.Errorf("box of image %s: %w", img.Name, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".box-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	disk := filepath.Join(tmp, "box.img")
	if err := boxDisk(ctx, img.Disk, disk, tmp, verbose); err != nil {
		return err
	}
	size := info.VirtualSize
	meta, err := json.Marshal(map[string]any{"provider": "libvirt", "format": "qcow2", "virtual_size": (size + 1<<30 - 1) >> 30})
	if err != nil {
		return err
	}
	files := []tarFile{
		{name: "metadata.json", data: meta},
		{name: "Vagrantfile", data: []byte(fmt.Sprintf(boxVagrantfile, img.Name, img.Digest))},
		{name: "box.img", path: disk},
		{name: "vmlinuz", path: img.Kernel},
		{name: "initrd.img", path: img.Initrd},
	}
	return writeTar(ctx, path, files)
}

// boxDisk copies the image's disk to out with mgmtNetwork added. The disk is
// an ext4 filesystem without partitions, so debugfs edits it unmounted.
func boxDisk(ctx context.Context, src, out, tmp string, verbose io.Writer) error {
	b := &builder{opt: BuildOptions{Verbose: verbose}}
	raw := filepath.Join(tmp, "disk.raw")
	if err := b.exec(ctx, "qemu-img", "convert", "-f", "qcow2", "-O", "raw", src, raw); err != nil {
		return err
	}
	netFile := filepath.Join(tmp, mgmtNetworkFile)
	if err := os.WriteFile(netFile, []byte(mgmtNetwork), 0o644); err != nil {
		return err
	}
	script := filepath.Join(tmp, "debugfs.cmd")
	cmds := fmt.Sprintf("cd /etc/systemd/network\nrm %s\nwrite %s %s\nsif %s uid 0\nsif %s gid 0\n",
		mgmtNetworkFile, netFile, mgmtNetworkFile, mgmtNetworkFile, mgmtNetworkFile)
	if err := os.WriteFile(script, []byte(cmds), 0o644); err != nil {
		return err
	}
	if err := b.exec(ctx, "debugfs", "-w", "-f", script, raw); err != nil {
		return err
	}
	// debugfs exits 0 even when a command failed: read the file back.
	got, err := cmdrun.Output(ctx, exec.CommandContext(ctx, "debugfs", "-R", "cat /etc/systemd/network/"+mgmtNetworkFile, raw), nil)
	if err != nil || !strings.Contains(string(got), "DHCP=ipv4") {
		return fmt.Errorf("add %s to the box's disk with debugfs failed: %v", mgmtNetworkFile, err)
	}
	if err := b.exec(ctx, "qemu-img", "convert", "-f", "raw", "-c", "-O", "qcow2", raw, out); err != nil {
		return err
	}
	return os.Remove(raw)
}

// tarFile is a file of a box: bytes, or a file on disk.
type tarFile struct {
	name string
	data []byte
	path string
}

// writeTar writes files as a tar to path, whole or not at all; cancelling
// ctx stops it, in the middle of the disk if need be.
func writeTar(ctx context.Context, path string, files []tarFile) error {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Discard()
	tw := tar.NewWriter(f)
	for _, tf := range files {
		if err := addTar(ctx, tw, tf); err != nil {
			return fmt.Errorf("box %s: %w", tf.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Commit()
}

func addTar(ctx context.Context, tw *tar.Writer, tf tarFile) error {
	var r io.Reader
	size := int64(len(tf.data))
	if tf.path != "" {
		src, err := os.Open(tf.path)
		if err != nil {
			return err
		}
		defer src.Close()
		st, err := src.Stat()
		if err != nil {
			return err
		}
		r, size = src, st.Size()
	} else {
		r = strings.NewReader(string(tf.data))
	}
	if err := tw.WriteHeader(&tar.Header{Name: tf.name, Mode: 0o644, Size: size}); err != nil {
		return err
	}
	_, err := staging.Copy(ctx, tw, r)
	return err
}
