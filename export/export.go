// Package export writes a lab as a standalone project that runs without
// vlab: today a Vagrant project (Vagrantfile, provisioning scripts, boxes,
// the lab's injects and probes as files) that needs only Vagrant and
// vagrant-libvirt on the target machine. Everything taken from the lab
// folder is copied through a confined root, so that an export carries the
// lab and nothing else of the host it was made on.
package export

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/libvirt"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

// Images finds the base image a lab's VM names; *images.Store is one.
type Images interface {
	Get(name string) (*images.Image, error)
}

// Options are the choices of one export.
type Options struct {
	// Images holds the lab's base images.
	Images Images
	// CacheDir is vlab's cache (git mirrors, puppet archives), shared with
	// `vlab up`.
	CacheDir string
	// Accel is the libvirt domain type on the target machine: KVM, or TCG
	// where the target has no KVM. Empty is KVM.
	Accel vm.Accel
	// Boxes puts each base image into the project as a .box file, which
	// Vagrant adds on the first `vagrant up`.
	Boxes bool
	// Verbose, when set, receives what git and qemu-img print.
	Verbose io.Writer
}

// Vagrant writes lab as a Vagrant project into dir, which must be empty or
// missing and must not lie inside the lab's folder. A failed export leaves
// dir as it found it.
func Vagrant(ctx context.Context, lab *labfile.Lab, dir string, opts Options) error {
	if opts.Images == nil {
		return fmt.Errorf("export %s: no image store", lab.Name)
	}
	_, statErr := os.Stat(dir)
	out, err := prepareDir(lab.Dir, dir)
	if err != nil {
		return fmt.Errorf("export %s: %w", lab.Name, err)
	}
	p := &project{lab: lab, dir: out, opts: opts, copied: map[string]bool{}}
	if err := p.write(ctx); err != nil {
		// The folder was empty or missing: all in it is this export's.
		removeExport(out, statErr != nil)
		return fmt.Errorf("export %s: %w", lab.Name, err)
	}
	return nil
}

// removeExport removes a failed export: the folder's contents, and the
// folder too when the export made it.
func removeExport(dir string, made bool) {
	if made {
		os.RemoveAll(dir)
		return
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// project is one export under way.
type project struct {
	lab  *labfile.Lab
	dir  string // the export's folder, symlinks resolved
	opts Options
	pub  string // base64 authorized_keys line for the kernel command line
	// vf collects the machines and boot files of the Vagrantfile.
	vf     vagrant.Project
	copied map[string]bool // boot files already in the project
}

func (p *project) write(ctx context.Context) error {
	priv, _, err := provision.NewKey("vlab-export-" + p.lab.Name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.dir, "id_ed25519"), priv, 0o600); err != nil {
		return err
	}
	if p.pub, err = provision.AuthorizedBase64(priv); err != nil {
		return err
	}
	p.vf = vagrant.Project{KeyPath: "id_ed25519"}
	for j, v := range p.lab.VMs {
		m, err := p.machine(ctx, j, v)
		if err != nil {
			return fmt.Errorf("vm %s: %w", v.Name, err)
		}
		p.vf.Machines = append(p.vf.Machines, m)
	}
	var vf bytes.Buffer
	if err := vagrant.Render(&vf, p.vf); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(p.dir, "Vagrantfile"), vf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := p.exercise(); err != nil {
		return err
	}
	return copyLab(p.lab.Dir, filepath.Join(p.dir, "lab"))
}

// observerNote stands above the observer's machine: an export cannot keep
// the trainee out of it, so it says what vlab would have done.
var observerNote = []string{
	"The lab's observer: it runs the users' traffic and, in vlab, the checks",
	"that decide, from outside the VMs you work in. vlab keeps trainees out of",
	"it; this project cannot (its key is yours): leave it alone, or the",
	"incident and its checks mean nothing.",
}

// machine is VM j of the lab with its box, addresses and provisioners.
func (p *project) machine(ctx context.Context, j int, v labfile.VM) (vagrant.Machine, error) {
	i, err := p.opts.Images.Get(v.Image)
	if err != nil {
		return vagrant.Machine{}, fmt.Errorf("%w; build it with `vlab images build %s`", err, v.Image)
	}
	if i.Kernel == "" || len(i.Digest) < 12 {
		return vagrant.Machine{}, fmt.Errorf("image %s boots from its own bootloader; an export needs an image with a kernel of its own", v.Image)
	}
	m := vagrant.Machine{Name: v.Name, Prefix: p.lab.Name + "-", Memory: v.Memory, CPUs: v.CPUs,
		Box:        vagrant.BoxName(vm.Image{Name: i.Name, Digest: i.Digest}),
		DomainType: map[vm.Accel]string{vm.AccelKVM: "kvm", vm.AccelTCG: "qemu", "": "kvm"}[p.opts.Accel],
		SSHPort:    42200 + j, BootTimeout: 600}
	m.Domain = m.Prefix + m.Name
	if m.Kernel, err = p.bootFile(i.Kernel, i.Digest, "vmlinuz"); err != nil {
		return m, err
	}
	if m.Initrd, err = p.bootFile(i.Initrd, i.Digest, "initrd.img"); err != nil {
		return m, err
	}
	if p.opts.Boxes {
		if m.BoxURL, err = p.box(ctx, i, m.Box); err != nil {
			return m, err
		}
	}
	args := []string{"systemd.hostname=" + v.Name, "vlab.key=" + p.pub}
	// The same addresses vlab gives: network i is 10.77.i.0/24, VM j is host 10+j.
	for k, n := range v.Networks {
		ni := p.netIndex(n)
		args = append(args, fmt.Sprintf("vlab.ip.eth%d=10.77.%d.%d/24", k+1, ni, 10+j))
		m.Networks = append(m.Networks, vagrant.Network{Name: p.lab.Name + "-" + n, Slot: vagrant.NetworkSlot(k),
			HostIP: fmt.Sprintf("10.77.%d.1", ni)})
	}
	m.Cmdline = libvirt.KernelCmdline(args)
	if v.Observer {
		m.Comment = observerNote
	}
	m.Provision, err = p.provisioners(ctx, j, v)
	return m, err
}

// box packs image i into the project once and returns its path there.
func (p *project) box(ctx context.Context, i *images.Image, name string) (string, error) {
	rel := "boxes/" + unsafeName.ReplaceAllString(name, "-") + ".box"
	if _, err := os.Stat(filepath.Join(p.dir, rel)); err == nil {
		return rel, nil
	}
	if err := os.MkdirAll(filepath.Join(p.dir, "boxes"), 0o755); err != nil {
		return "", err
	}
	return rel, i.PackBox(ctx, filepath.Join(p.dir, rel), p.opts.Verbose)
}

// bootFile puts a kernel or initrd into the project once and returns where
// the Vagrantfile copies it for QEMU.
func (p *project) bootFile(src, digest, name string) (string, error) {
	rel := filepath.Join("boot", digest[:12], name)
	dst := "/var/tmp/vlab-boot-" + digest[:12] + "/" + name
	if p.copied[rel] {
		return dst, nil
	}
	p.copied[rel] = true
	p.vf.Boot = append(p.vf.Boot, vagrant.Copy{Src: rel, Dst: dst})
	if err := copyFileOf(filepath.Dir(src), filepath.Base(src), filepath.Join(p.dir, rel)); err != nil {
		return "", fmt.Errorf("boot file %s: %w", src, err)
	}
	return dst, nil
}

func (p *project) netIndex(name string) int {
	for i, n := range p.lab.Networks {
		if n.Name == name {
			return i
		}
	}
	return 0
}

// unsafeName matches what may not appear in a file name of the project.
var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)
