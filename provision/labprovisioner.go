package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/labfile"
)

// LabProvisionerOptions configure a LabProvisioner.
type LabProvisionerOptions struct {
	// CacheDir holds puppet mirrors and trees and the package cache.
	CacheDir string
	// Progress receives a line per VM and per step.
	Progress io.Writer
	// Verbose, when set, receives everything guests and tools print.
	Verbose io.Writer
	// LogDir, when set, receives provision-<vm>.log for each VM applied:
	// what its provisioning printed, whatever Verbose is; past its first
	// 32 MiB only the last 1 MiB is kept (see cappedLog).
	LogDir string
}

// LabProvisioner applies a lab's provision section, sharing one resolved
// plan per VM between the golden key and the apply, so that the golden
// state is filed under exactly what was applied. It is what `vlab up`
// hands to instance.Up as its Provisioner.
type LabProvisioner struct {
	opts  LabProvisionerOptions
	mu    sync.Mutex
	plans map[string]*Plan
}

// NewLabProvisioner returns a provisioner with an empty plan cache.
func NewLabProvisioner(opts LabProvisionerOptions) *LabProvisioner {
	return &LabProvisioner{opts: opts, plans: map[string]*Plan{}}
}

func (p *LabProvisioner) plan(ctx context.Context, lab *labfile.Lab, vmName string) (*Plan, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl, ok := p.plans[vmName]; ok {
		return pl, nil
	}
	pl, err := NewPlan(ctx, lab, vmName, PlanOptions{CacheDir: p.opts.CacheDir, Verbose: p.opts.Verbose})
	if err != nil {
		return nil, err
	}
	p.plans[vmName] = pl
	return pl, nil
}

// Key names everything that shapes VM vmName's provisioned state on img.
func (p *LabProvisioner) Key(ctx context.Context, lab *labfile.Lab, vmName string, img *images.Image) (string, error) {
	pl, err := p.plan(ctx, lab, vmName)
	if err != nil {
		return "", err
	}
	return pl.Key(img.Digest)
}

// Apply provisions VM vmName, booted from img, over r.
func (p *LabProvisioner) Apply(ctx context.Context, lab *labfile.Lab, vmName string, img *images.Image, r Runner) error {
	pl, err := p.plan(ctx, lab, vmName)
	if err != nil {
		return err
	}
	debDir, err := LabDebDir(lab)
	if err != nil {
		return err
	}
	fmt.Fprintf(orDiscard(p.opts.Progress), "provisioning vm %s\n", vmName)
	opts := ApplyOptions{Lab: lab, VM: vmName, Runner: r, Plan: pl,
		CacheDir: p.opts.CacheDir, ImageDigest: img.Digest, Status: img.Status, DebDir: debDir,
		Progress: p.opts.Progress, Verbose: p.opts.Verbose}
	if p.opts.LogDir != "" {
		log, err := createLog(filepath.Join(p.opts.LogDir, "provision-"+vmName+".log"))
		if err != nil {
			return fmt.Errorf("provisioning log: %w", err)
		}
		defer log.Close()
		opts.Log = log
	}
	_, err = Apply(ctx, opts)
	return err
}

// LabDebDir returns the lab's own packages folder (in-house builds, older
// versions; then no apt source and no network is needed), resolved, or ""
// when the lab has none. A debs/ that leads outside the lab folder is an
// error.
func LabDebDir(lab *labfile.Lab) (string, error) {
	dir, err := confine.Resolve(lab.Dir, labfile.DebDirName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("lab %s: %w; keep the lab's packages in the lab folder", lab.Name, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", nil
	}
	return dir, nil
}
