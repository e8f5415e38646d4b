package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// labProvisioner applies a lab's provision section with the provision
// package, sharing one resolved plan between the golden key and the apply.
type labProvisioner struct {
	cache    string
	progress io.Writer
	verbose  io.Writer
	mu       sync.Mutex
	plans    map[string]*provision.Plan
}

func (e *env) provisioner() instance.Provisioner {
	return &labProvisioner{cache: e.home.Cache(), progress: e.stderr, verbose: e.verbose(), plans: map[string]*provision.Plan{}}
}

func (p *labProvisioner) plan(ctx context.Context, lab *labfile.Lab, vmName string) (*provision.Plan, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl, ok := p.plans[vmName]; ok {
		return pl, nil
	}
	pl, err := provision.NewPlan(ctx, lab, vmName, provision.PlanOptions{CacheDir: p.cache, Verbose: p.verbose})
	if err != nil {
		return nil, err
	}
	p.plans[vmName] = pl
	return pl, nil
}

func (p *labProvisioner) Key(ctx context.Context, lab *labfile.Lab, vmName string, img *images.Image) (string, error) {
	pl, err := p.plan(ctx, lab, vmName)
	if err != nil {
		return "", err
	}
	return pl.Key(img.Digest)
}

func (p *labProvisioner) Apply(ctx context.Context, lab *labfile.Lab, vmName string, img *images.Image, r provision.Runner) error {
	pl, err := p.plan(ctx, lab, vmName)
	if err != nil {
		return err
	}
	fmt.Fprintf(p.progress, "provisioning vm %s\n", vmName)
	// A lab's own packages (in-house builds, older versions) sit in its
	// debs/ folder; then no apt source and no network is needed.
	debDir := filepath.Join(lab.Dir, "debs")
	if st, err := os.Stat(debDir); err != nil || !st.IsDir() {
		debDir = ""
	}
	_, err = provision.Apply(ctx, provision.ApplyOptions{Lab: lab, VM: vmName, Runner: r, Plan: pl,
		CacheDir: p.cache, ImageDigest: img.Digest, Status: img.Status, DebDir: debDir,
		Progress: p.progress, Verbose: p.verbose})
	return err
}

// startAttempt records in the instance's journal that the trainee got a
// fresh lab.
func (e *env) startAttempt(inst *instance.Instance, by string) error {
	j, err := incident.Open(inst.Dir)
	if err != nil {
		return err
	}
	defer j.Close()
	s := incident.Session{Journal: j}
	return s.StartAttempt(by)
}
