package export

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/vlab-dev/vlab/internal/shquote"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

// provisioners turns a VM's provision steps, /etc/hosts and the lab's
// triggers into Vagrant provisioners and the files they use.
func (p *project) provisioners(ctx context.Context, j int, v labfile.VM) ([]vagrant.Provisioner, error) {
	hosts, err := p.script(v.Name, 0, "hosts", "echo "+v.Name+" > /etc/hostname\n"+p.hosts())
	if err != nil {
		return nil, err
	}
	out := []vagrant.Provisioner{hosts}
	for n, s := range v.Provision {
		ps, err := p.step(ctx, v.Name, n+1, s)
		if err != nil {
			return nil, fmt.Errorf("provision step %d: %w", n+1, err)
		}
		out = append(out, ps...)
	}
	for _, t := range p.lab.Triggers {
		if t.VM != v.Name {
			continue
		}
		if t.Client != nil {
			ps, err := p.clientTrigger(ctx, v.Name, t)
			if err != nil {
				return nil, fmt.Errorf("trigger %s: %w", t.Name, err)
			}
			out = append(out, ps...)
			continue
		}
		pr, err := p.script(v.Name, 90, "trigger-"+t.Name, fmt.Sprintf("systemd-run --unit=vlab-trigger-%s sh -c %s",
			unsafeName.ReplaceAllString(t.Name, "-"), shellQuote(t.Command)))
		if err != nil {
			return nil, err
		}
		out = append(out, pr)
	}
	return out, nil
}

// clientTrigger exports a trigger that runs vlab's traffic client: the
// binary and its config travel in the project, and a unit runs them.
func (p *project) clientTrigger(ctx context.Context, vmName string, t labfile.Trigger) ([]vagrant.Provisioner, error) {
	bin, err := provision.FindClient(ctx)
	if err != nil {
		return nil, err
	}
	binRel := filepath.Join("files", "vlab-client")
	if _, err := os.Stat(filepath.Join(p.dir, binRel)); err != nil { // one copy for every client trigger
		if err := copyFileOf(filepath.Dir(bin.Path), filepath.Base(bin.Path), filepath.Join(p.dir, binRel)); err != nil {
			return nil, err
		}
	}
	cfg, err := json.MarshalIndent(provision.ClientConfig(t), "", "  ")
	if err != nil {
		return nil, err
	}
	cfgRel := filepath.Join("files", vmName, "client-"+t.Name+".json")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(p.dir, cfgRel)), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(p.dir, cfgRel), cfg, 0o644); err != nil {
		return nil, err
	}
	unit := provision.TriggerUnit(t)
	body := fmt.Sprintf("install -D -m 0755 /tmp/vlab-client %s\ninstall -D -m 0644 /tmp/vlab-client-%s.json /etc/vlab/clients/%s.json\n"+
		"cat > /etc/systemd/system/%s <<'UNIT'\n%sUNIT\nsystemctl daemon-reload\nsystemctl --no-reload enable --now %s",
		provision.ClientGuestBin, t.Name, t.Name, unit, provision.RenderTrigger(t), unit)
	pr, err := p.script(vmName, 90, "trigger-"+t.Name, body)
	return []vagrant.Provisioner{{Source: binRel, Dest: "/tmp/vlab-client"},
		{Source: cfgRel, Dest: "/tmp/vlab-client-" + t.Name + ".json"}, pr}, err
}

// script writes a provisioning script and returns its provisioner.
func (p *project) script(vmName string, n int, name, body string) (vagrant.Provisioner, error) {
	rel := filepath.Join("provision", vmName, fmt.Sprintf("%02d-%s.sh", n, unsafeName.ReplaceAllString(name, "-")))
	if err := os.MkdirAll(filepath.Join(p.dir, filepath.Dir(rel)), 0o755); err != nil {
		return vagrant.Provisioner{}, err
	}
	err := os.WriteFile(filepath.Join(p.dir, rel), []byte("#!/bin/sh\nset -eu\n"+body+"\n"), 0o755)
	return vagrant.Provisioner{Name: name, Script: rel}, err
}

// step exports one provision step.
func (p *project) step(ctx context.Context, vmName string, n int, s labfile.Step) ([]vagrant.Provisioner, error) {
	name := s.Name
	if name == "" {
		name = fmt.Sprintf("step-%d", n)
	}
	switch {
	case s.Run != "":
		pr, err := p.script(vmName, n, name, s.Run)
		return []vagrant.Provisioner{pr}, err
	case s.File != nil:
		return p.fileStep(vmName, n, name, *s.File)
	case s.Puppet != nil:
		return p.puppetStep(ctx, vmName, n, name, *s.Puppet)
	case s.Git != nil:
		return p.gitStep(ctx, vmName, n, name, *s.Git)
	case len(s.Packages) > 0:
		var pins []string
		for pkg, ver := range s.Packages {
			pins = append(pins, pkg+"="+ver)
		}
		sort.Strings(pins)
		pr, err := p.script(vmName, n, name, "apt-get update -q\nDEBIAN_FRONTEND=noninteractive apt-get install -y -q --allow-downgrades "+
			strings.Join(pins, " ")+"\napt-mark hold "+strings.Join(pins, " ")+" 2>/dev/null || true")
		return []vagrant.Provisioner{pr}, err
	}
	return nil, nil
}

// fileStep copies a file or tree of the lab into the project and has
// Vagrant upload it, then sets its mode and owner.
func (p *project) fileStep(vmName string, n int, name string, f labfile.File) ([]vagrant.Provisioner, error) {
	rel := filepath.Join("files", vmName, fmt.Sprintf("%02d", n), filepath.Base(f.Src))
	if err := copyTree(p.lab.Dir, f.Src, filepath.Join(p.dir, rel)); err != nil {
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
	pr, err := p.script(vmName, n, name, body)
	return []vagrant.Provisioner{{Source: rel, Dest: tmp}, pr}, err
}

// puppetStep exports the puppet tree at its pinned revision, the same tree
// `vlab up` applies, and applies it.
func (p *project) puppetStep(ctx context.Context, vmName string, n int, name string, pp labfile.Puppet) ([]vagrant.Provisioner, error) {
	rel := filepath.Join("files", vmName, fmt.Sprintf("%02d-puppet", n))
	t, err := provision.ExportStep(ctx, p.opts.CacheDir, p.lab.Dir, pp, false, p.opts.Verbose)
	if err != nil {
		return nil, err
	}
	if err := untar(t.Archive, filepath.Join(p.dir, rel)); err != nil {
		return nil, fmt.Errorf("puppet repo %s at %s: %w", pp.Repo, t.Short(), err)
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
	if pp.Role != "" {
		// The kit's role and checkout, as vlab writes them (a plain tree
		// here, not a clone with its history).
		body = fmt.Sprintf("mkdir -p /etc/facter/facts.d\nprintf 'vlab_role: %%s\\nvlab_puppet_dir: %%s\\n' %s %s > /etc/facter/facts.d/vlab.yaml\n",
			shellQuote(pp.Role), shellQuote(tree)) + body
	}
	pr, err := p.script(vmName, n, name, body)
	return []vagrant.Provisioner{{Source: rel, Dest: fmt.Sprintf("/tmp/vlab-upload-%02d", n)}, pr}, err
}

// gitStep exports a repository's history up to its pinned revision and
// clones it in the guest, as `vlab up` does.
func (p *project) gitStep(ctx context.Context, vmName string, n int, name string, g labfile.Git) ([]vagrant.Provisioner, error) {
	t, err := provision.ExportStep(ctx, p.opts.CacheDir, p.lab.Dir, labfile.Puppet{Repo: g.Repo, Revision: g.Revision, Clone: g.Dest}, false, p.opts.Verbose)
	if err != nil {
		return nil, err
	}
	rel := filepath.Join("files", vmName, fmt.Sprintf("%02d-git.bundle", n))
	if err := copyFileOf(filepath.Dir(t.History), filepath.Base(t.History), filepath.Join(p.dir, rel)); err != nil {
		return nil, err
	}
	tmp := fmt.Sprintf("/tmp/vlab-upload-%02d.bundle", n)
	pr, err := p.script(vmName, n, name, provision.CloneCommand(tmp, g.Dest, t.Commit))
	return []vagrant.Provisioner{{Source: rel, Dest: tmp}, pr}, err
}

// hosts is the shell that adds the lab's names to /etc/hosts.
func (p *project) hosts() string {
	var b strings.Builder
	for j, v := range p.lab.VMs {
		if len(v.Networks) > 0 {
			fmt.Fprintf(&b, "grep -q ' %s$' /etc/hosts || echo '10.77.%d.%d %s' >> /etc/hosts\n", v.Name, p.netIndex(v.Networks[0]), 10+j, v.Name)
		}
	}
	return b.String()
}

// shellQuote quotes s for sh as one word that expands nothing.
func shellQuote(s string) string { return shquote.Quote(s) }
