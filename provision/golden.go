package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/labfile"
)

// goldenKeyVersion changes when what goes into a golden key changes, so that
// golden states taken by an older vlab are not reused.
const goldenKeyVersion = "vlab-golden-1"

// Plan is the host side of provisioning one VM, settled before the guest
// is touched: puppet revisions resolved to commits and exported, file
// sources digested. GoldenKey and Apply share a Plan so that the golden
// state is filed under exactly what was applied.
type Plan struct {
	Lab *labfile.Lab
	VM  *labfile.VM
	// Puppet holds the resolved tree of each puppet step, by step index.
	Puppet map[int]PuppetTree
	// Repos holds the resolved revision of each git step, by step index.
	Repos map[int]PuppetTree
	// Files holds the digest of each file step's source, by step index.
	Files map[int]FileDigest
	// Triggers are the lab's triggers that run in this VM.
	Triggers []labfile.Trigger
	// Client is vlab's traffic client, when a trigger here runs it.
	Client ClientBinary
	// Packages digests the package files the lab brings itself (its
	// bundle's record, its debs/), when the VM has a packages step.
	Packages string
}

// PlanOptions says where NewPlan may look for puppet repositories.
type PlanOptions struct {
	// CacheDir holds mirrors of remote puppet repositories and exported trees.
	CacheDir string
	// Offline forbids fetching remote repositories: their mirrors are used
	// as they are.
	Offline bool
	// Verbose receives git's output.
	Verbose io.Writer
	// FindClient locates vlab's traffic client for a VM whose triggers run
	// it; nil: FindClient.
	FindClient func(context.Context) (ClientBinary, error)
}

// NewPlan resolves every host-side input of VM vm of lab.
func NewPlan(ctx context.Context, lab *labfile.Lab, vm string, opts PlanOptions) (*Plan, error) {
	v, ok := lab.VM(vm)
	if !ok {
		return nil, fmt.Errorf("lab %s has no VM %q; it has %v", lab.Name, vm, lab.VMNames())
	}
	p := &Plan{Lab: lab, VM: v, Puppet: map[int]PuppetTree{}, Repos: map[int]PuppetTree{}, Files: map[int]FileDigest{}}
	for i, s := range v.Provision {
		if err := p.resolveStep(ctx, i, s, opts); err != nil {
			return nil, fmt.Errorf("vm %s: provision step %d: %w", vm, i+1, err)
		}
	}
	if slices.ContainsFunc(v.Provision, func(s labfile.Step) bool { return s.Packages != nil }) {
		var err error
		if p.Packages, err = labPackageInputs(lab); err != nil {
			return nil, fmt.Errorf("vm %s: packages: %w", vm, err)
		}
	}
	for _, t := range lab.Triggers {
		if t.VM == vm {
			p.Triggers = append(p.Triggers, t)
		}
	}
	if hasClient(p.Triggers) {
		find := opts.FindClient
		if find == nil {
			find = FindClient
		}
		var err error
		if p.Client, err = find(ctx); err != nil {
			return nil, fmt.Errorf("vm %s: %w", vm, err)
		}
	}
	return p, nil
}

func (p *Plan) resolveStep(ctx context.Context, i int, s labfile.Step, opts PlanOptions) error {
	switch {
	case s.Puppet != nil:
		t, err := ExportStep(ctx, opts.CacheDir, p.Lab.Dir, *s.Puppet, opts.Offline, opts.Verbose)
		p.Puppet[i] = t
		return err
	case s.Git != nil:
		t, err := ExportStep(ctx, opts.CacheDir, p.Lab.Dir, labfile.Puppet{Repo: s.Git.Repo, Revision: s.Git.Revision, Clone: s.Git.Dest}, opts.Offline, opts.Verbose)
		p.Repos[i] = t
		return err
	case s.File != nil:
		src, err := confine.Resolve(p.Lab.Dir, s.File.Src)
		if errors.Is(err, confine.ErrOutside) {
			return fmt.Errorf("file %s: %w; keep the file in the lab folder", s.File.Src, err)
		} else if err != nil {
			return fmt.Errorf("file %s: %w", s.File.Src, err)
		}
		d, err := DigestPath(src)
		p.Files[i] = d
		return err
	}
	return nil
}

// goldenInputs is everything that shapes a VM's golden state, as Key
// encodes it.
type goldenInputs struct {
	Version     string             `json:"version"`
	ImageDigest string             `json:"image"`
	Lab         string             `json:"lab"`
	VM          labfile.VM         `json:"vm"` // name, size, networks and the provision section
	Puppet      map[int]PuppetTree `json:"puppet"`
	Repos       map[int]PuppetTree `json:"repos,omitempty"`
	Files       map[int]FileDigest `json:"files"`
	Triggers    []labfile.Trigger  `json:"triggers"`
	Units       map[string][]byte  `json:"units"`
	Extra       []string           `json:"extra"`
	Client      string             `json:"client,omitempty"` // the traffic client's digest
	Packages    string             `json:"packages,omitempty"`
}

// Key names the golden state of the planned VM on top of the base image
// imageDigest. extra are what else a saved state depends on, such as the
// QEMU version and the host's CPU model. A change to any input, or to the
// content of a puppet tree or a file source, changes the key.
func (p *Plan) Key(imageDigest string, extra ...string) (string, error) {
	if imageDigest == "" {
		return "", fmt.Errorf("golden key for vm %s: no image digest; build the image first", p.VM.Name)
	}
	in := goldenInputs{
		Version: goldenKeyVersion, ImageDigest: imageDigest, Lab: p.Lab.Name, VM: *p.VM,
		Puppet: p.Puppet, Repos: p.Repos, Files: p.Files, Triggers: p.Triggers, Units: map[string][]byte{}, Extra: extra,
		Client: p.Client.Digest, Packages: p.Packages,
	}
	for _, t := range p.Triggers {
		in.Units[TriggerUnit(t)] = RenderTrigger(t)
	}
	return Key(in)
}

// GoldenKey plans VM vm of lab and returns its golden key; see Plan.Key.
// Apply with the same Plan to be sure the state saved is the one keyed.
func GoldenKey(ctx context.Context, lab *labfile.Lab, vm string, opts PlanOptions, imageDigest string, extra ...string) (string, error) {
	p, err := NewPlan(ctx, lab, vm, opts)
	if err != nil {
		return "", err
	}
	return p.Key(imageDigest, extra...)
}
