package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a lab as a standalone Vagrant project that needs only Vagrant and vagrant-libvirt",
		ArgsUsage: "<lab> <dir>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "vagrant", Usage: "export for Vagrant (the only format so far)"},
			&cli.StringFlag{Name: "accel", Value: "kvm", Usage: "libvirt domain type on the target machine: kvm, or tcg without KVM"},
			&cli.BoolFlag{Name: "no-box", Usage: "do not include the base images as .box files"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 || !c.Bool("vagrant") {
				return errors.New("export: usage: vlab export <lab> <dir> --vagrant")
			}
			accel, err := vm.ParseAccel(c.String("accel"))
			if err != nil {
				return err
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			lab, err := e.lab(c.Args().Get(0))
			if err != nil {
				return err
			}
			x := &exporter{e: e, lab: lab, dir: c.Args().Get(1), accel: accel, boxes: !c.Bool("no-box")}
			if err := x.run(c.Context); err != nil {
				return fmt.Errorf("export %s: %w", lab.Name, err)
			}
			fmt.Fprintf(e.stderr, "exported %s to %s: `cd %s && vagrant up --provider=libvirt`\n", lab.Name, x.dir, x.dir)
			return nil
		},
	}
}

// exporter writes one lab as a Vagrant project.
type exporter struct {
	e     *env
	lab   *labfile.Lab
	dir   string
	accel vm.Accel
	boxes bool
	pub   string // base64 authorized_keys line for the kernel command line
	// project collects the boot files while machines are made.
	project vagrant.Project
	copied  map[string]bool
	copyErr error
}

// bootFile puts a kernel or initrd into the project once and returns where
// the Vagrantfile copies it for QEMU.
func (x *exporter) bootFile(src, digest, name string) string {
	rel := filepath.Join("boot", digest[:12], name)
	dst := "/var/tmp/vlab-boot-" + digest[:12] + "/" + name
	if x.copied == nil {
		x.copied = map[string]bool{}
	}
	if !x.copied[rel] {
		x.copied[rel] = true
		x.project.Boot = append(x.project.Boot, vagrant.Copy{Src: rel, Dst: dst})
		x.copyErr = errors.Join(x.copyErr, copyTree(src, filepath.Join(x.dir, rel)))
	}
	return dst
}

func (x *exporter) run(ctx context.Context) error {
	if ents, err := os.ReadDir(x.dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("%s is not empty", x.dir)
	}
	if err := os.MkdirAll(x.dir, 0o755); err != nil {
		return err
	}
	priv, _, err := provision.NewKey("vlab-export-" + x.lab.Name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(x.dir, "id_ed25519"), priv, 0o600); err != nil {
		return err
	}
	if x.pub, err = provision.AuthorizedBase64(priv); err != nil {
		return err
	}
	x.project = vagrant.Project{KeyPath: "id_ed25519"}
	p := &x.project
	for j, v := range x.lab.VMs {
		m, err := x.machine(ctx, j, v)
		if err != nil {
			return fmt.Errorf("vm %s: %w", v.Name, err)
		}
		p.Machines = append(p.Machines, m)
	}
	if x.copyErr != nil {
		return x.copyErr
	}
	var vf bytes.Buffer
	if err := vagrant.Render(&vf, *p); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(x.dir, "Vagrantfile"), vf.Bytes(), 0o644); err != nil {
		return err
	}
	return x.exercise()
}

// machine is VM j of the lab with its box, addresses and provisioners.
func (x *exporter) machine(ctx context.Context, j int, v labfile.VM) (vagrant.Machine, error) {
	i, err := x.e.store().Get(v.Image)
	if err != nil {
		return vagrant.Machine{}, fmt.Errorf("%w; build it with `vlab images build %s`", err, v.Image)
	}
	img := vmImage(i)
	m := vagrant.Machine{Name: v.Name, Prefix: x.lab.Name + "-", Box: vagrant.BoxName(img), Memory: v.Memory, CPUs: v.CPUs,
		DomainType: map[vm.Accel]string{vm.AccelKVM: "kvm", vm.AccelTCG: "qemu"}[x.accel],
		SSHPort:    42200 + j, BootTimeout: 600}
	m.Domain = m.Prefix + m.Name
	m.Kernel, m.Initrd = x.bootFile(i.Kernel, img.Digest, "vmlinuz"), x.bootFile(i.Initrd, img.Digest, "initrd.img")
	if x.boxes {
		m.BoxURL = "boxes/" + strings.ReplaceAll(m.Box, "/", "-") + ".box"
		if _, err := os.Stat(filepath.Join(x.dir, m.BoxURL)); err != nil {
			os.MkdirAll(filepath.Join(x.dir, "boxes"), 0o755)
			if err := i.PackBox(ctx, filepath.Join(x.dir, m.BoxURL), x.e.verbose()); err != nil {
				return m, err
			}
		}
	}
	args := []string{"systemd.hostname=" + v.Name, "vlab.key=" + x.pub}
	// The same addresses vlab gives: network i is 10.77.i.0/24, VM j is host 10+j.
	for k, n := range v.Networks {
		ni := x.netIndex(n)
		args = append(args, fmt.Sprintf("vlab.ip.eth%d=10.77.%d.%d/24", k+1, ni, 10+j))
		m.Networks = append(m.Networks, vagrant.Network{Name: x.lab.Name + "-" + n, Slot: vagrant.NetworkSlot(k),
			HostIP: fmt.Sprintf("10.77.%d.1", ni)})
	}
	m.Cmdline = vagrant.Cmdline(args)
	m.Provision, err = x.provisioners(ctx, j, v)
	return m, err
}

func (x *exporter) netIndex(name string) int {
	for i, n := range x.lab.Networks {
		if n.Name == name {
			return i
		}
	}
	return 0
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// script writes a provisioning script and returns its provisioner.
func (x *exporter) script(vmName string, n int, name, body string) (vagrant.Provisioner, error) {
	rel := filepath.Join("provision", vmName, fmt.Sprintf("%02d-%s.sh", n, unsafeName.ReplaceAllString(name, "-")))
	if err := os.MkdirAll(filepath.Join(x.dir, filepath.Dir(rel)), 0o755); err != nil {
		return vagrant.Provisioner{}, err
	}
	err := os.WriteFile(filepath.Join(x.dir, rel), []byte("#!/bin/sh\nset -eu\n"+body+"\n"), 0o755)
	return vagrant.Provisioner{Name: name, Script: rel}, err
}

// provisioners turns a VM's provision steps, /etc/hosts and the lab's
// triggers into Vagrant provisioners and the files they use.
func (x *exporter) provisioners(ctx context.Context, j int, v labfile.VM) ([]vagrant.Provisioner, error) {
	var out []vagrant.Provisioner
	add := func(p ...vagrant.Provisioner) { out = append(out, p...) }
	p, err := x.script(v.Name, 0, "hosts", "echo "+v.Name+" > /etc/hostname\n"+x.hosts())
	if err != nil {
		return nil, err
	}
	add(p)
	for n, s := range v.Provision {
		ps, err := x.step(ctx, v.Name, n+1, s)
		if err != nil {
			return nil, fmt.Errorf("provision step %d: %w", n+1, err)
		}
		add(ps...)
	}
	for _, t := range x.lab.Triggers {
		if t.VM != v.Name {
			continue
		}
		p, err := x.script(v.Name, 90, "trigger-"+t.Name, fmt.Sprintf("systemd-run --unit=vlab-trigger-%s sh -c %s",
			unsafeName.ReplaceAllString(t.Name, "-"), shellQuote(t.Command)))
		if err != nil {
			return nil, err
		}
		add(p)
	}
	return out, nil
}

// step exports one provision step.
func (x *exporter) step(ctx context.Context, vmName string, n int, s labfile.Step) ([]vagrant.Provisioner, error) {
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("step-%d", n)
	}
	switch {
	case s.Run != "":
		p, err := x.script(vmName, n, name, s.Run)
		return []vagrant.Provisioner{p}, err
	case s.File != nil:
		return x.fileStep(vmName, n, name, *s.File)
	case s.Puppet != nil:
		return x.puppetStep(ctx, vmName, n, name, *s.Puppet)
	case len(s.Packages) > 0:
		var pins []string
		for p, ver := range s.Packages {
			pins = append(pins, p+"="+ver)
		}
		sort.Strings(pins)
		p, err := x.script(vmName, n, name, "apt-get update -q\nDEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades "+
			strings.Join(pins, " ")+"\napt-mark hold "+strings.Join(pins, " ")+" 2>/dev/null || true")
		return []vagrant.Provisioner{p}, err
	}
	return nil, nil
}

// fileStep copies a file or tree of the lab into the project and has
// Vagrant upload it, then sets its mode and owner.
func (x *exporter) fileStep(vmName string, n int, name string, f labfile.File) ([]vagrant.Provisioner, error) {
	rel := filepath.Join("files", vmName, fmt.Sprintf("%02d", n), filepath.Base(f.Src))
	if err := copyTree(filepath.Join(x.lab.Dir, f.Src), filepath.Join(x.dir, rel)); err != nil {
		return nil, err
	}
	tmp := fmt.Sprintf("/tmp/vlab-upload-%02d", n)
	body := fmt.Sprintf("mkdir -p %s\nrm -rf %s\nmv %s %s", shellQuote(filepath.Dir(f.Dest)), shellQuote(f.Dest), tmp, shellQuote(f.Dest))
	if f.Mode != "" {
		body += fmt.Sprintf("\nchmod %s %s", f.Mode, shellQuote(f.Dest))
	}
	if f.Owner != "" {
		body += fmt.Sprintf("\nchown -R %s %s", shellQuote(f.Owner), shellQuote(f.Dest))
	}
	p, err := x.script(vmName, n, name, body)
	return []vagrant.Provisioner{{Source: rel, Dest: tmp}, p}, err
}

// puppetStep exports the puppet tree at its pinned revision and applies it.
func (x *exporter) puppetStep(ctx context.Context, vmName string, n int, name string, pp labfile.Puppet) ([]vagrant.Provisioner, error) {
	rel := filepath.Join("files", vmName, fmt.Sprintf("%02d-puppet", n))
	if err := gitExport(ctx, x.lab.Dir, pp.Repo, pp.Revision, filepath.Join(x.dir, rel)); err != nil {
		return nil, err
	}
	tree := fmt.Sprintf("/var/lib/vlab/puppet/%s", pp.Revision)
	args := []string{"puppet", "apply", "--detailed-exitcodes"}
	if len(pp.ModulePath) > 0 {
		args = append(args, "--modulepath="+strings.Join(pp.ModulePath, ":"))
	}
	if pp.Hiera != "" {
		args = append(args, "--hiera_config="+pp.Hiera)
	}
	manifest := pp.Manifest
	if manifest == "" {
		manifest = "manifests/site.pp"
	}
	body := fmt.Sprintf("mkdir -p /var/lib/vlab/puppet\nrm -rf %s\nmv /tmp/vlab-upload-%02d %s\ncd %s\n%s %s || [ $? -eq 2 ]",
		tree, n, tree, tree, strings.Join(args, " "), manifest)
	p, err := x.script(vmName, n, name, body)
	return []vagrant.Provisioner{{Source: rel, Dest: fmt.Sprintf("/tmp/vlab-upload-%02d", n)}, p}, err
}

// gitExport writes the tree of repo at rev to dst.
func gitExport(ctx context.Context, labDir, repo, rev, dst string) error {
	if !strings.Contains(repo, "://") && !filepath.IsAbs(repo) {
		repo = filepath.Join(labDir, repo)
	}
	tmp, err := os.MkdirTemp("", "vlab-export-git-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	script := `git clone -q "$1" "$2/repo" && git -C "$2/repo" archive "$3" | tar -x -C "$4"`
	out, err := exec.CommandContext(ctx, "sh", "-c", script, "sh", repo, tmp, rev, dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("export puppet tree %s at %s: %v: %s", repo, rev, err, out)
	}
	return nil
}

// hosts is the shell that adds the lab's names to /etc/hosts.
func (x *exporter) hosts() string {
	var b strings.Builder
	for j, v := range x.lab.VMs {
		if len(v.Networks) > 0 {
			fmt.Fprintf(&b, "grep -q ' %s$' /etc/hosts || echo '10.77.%d.%d %s' >> /etc/hosts\n", v.Name, x.netIndex(v.Networks[0]), 10+j, v.Name)
		}
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// copyTree copies a file or a directory tree.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
}
