// Package hostcheck tells whether this host can run labs: the tools vlab
// runs and their versions, libvirt, the accelerator, disk space and base
// images. Each check is one entry of the list For returns, so that a new
// condition to look for is one more entry; `vlab doctor` prints them.
package hostcheck

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/vm/drivers"
)

// Timeout bounds each check: a libvirtd that never answers must not hang
// the whole report.
const Timeout = 30 * time.Second

// Check is one line of the report: what it looks at, and how.
type Check struct {
	Name string
	// Run returns what it found, or the problem and what to do about it,
	// in one line.
	Run func(ctx context.Context) (detail string, err error)
}

// Result is the outcome of a check: Err nil and Detail, or Err.
type Result struct {
	Name   string
	Detail string
	Err    error
}

// Do runs the check within Timeout.
func (c Check) Do(ctx context.Context) Result {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	detail, err := c.Run(ctx)
	return Result{Name: c.Name, Detail: detail, Err: err}
}

// Report runs checks in turn and writes a line for each to w: ✓ and what
// it found, or ✗ and the problem. It returns how many failed.
func Report(ctx context.Context, w io.Writer, checks []Check) (failed int) {
	for _, ch := range checks {
		r := ch.Do(ctx)
		if r.Err != nil {
			failed++
			fmt.Fprintf(w, "✗ %-16s %s\n", r.Name, termtext.Line(r.Err.Error()))
			continue
		}
		fmt.Fprintf(w, "✓ %-16s %s\n", r.Name, termtext.Line(r.Detail))
	}
	return failed
}

// For returns every check of the host cfg describes (its libvirt URI and
// socket, vlab's data folder, the image store), in the order they are
// reported. Accelerator warnings go to cfg.Progress.
func For(cfg drivers.Config) []Check {
	checks := []Check{present("qemu-img", "makes disks"), present("git", "exports puppet trees")}
	for _, t := range Tools {
		checks = append(checks, Check{t.Name, t.Check})
	}
	return append(append(checks,
		Check{"libvirt", func(ctx context.Context) (string, error) { return libvirtAnswers(ctx, cfg) }},
		Check{"accel", func(ctx context.Context) (string, error) {
			a, err := cfg.Accel(ctx)
			return string(a), err
		}},
		Check{"disk", func(context.Context) (string, error) { return diskFree(cfg.Dir) }},
		Check{"images", func(context.Context) (string, error) { return baseImages(cfg) }},
	), kernelChecks()...)
}

// present checks that a program is on PATH.
func present(name, why string) Check {
	return Check{name, func(context.Context) (string, error) {
		p, err := exec.LookPath(name)
		if err != nil {
			return "", fmt.Errorf("%s not found (%s): run scripts/setup-host", name, why)
		}
		return p, nil
	}}
}

// libvirtAnswers connects to libvirtd, which also readies vlab's storage pool.
func libvirtAnswers(ctx context.Context, cfg drivers.Config) (string, error) {
	d, err := cfg.Libvirt(ctx)
	if err != nil {
		return "", err
	}
	d.Close()
	return cfg.URI + " answers, storage pool ready", nil
}

// baseImages checks that at least one base image is stored.
func baseImages(cfg drivers.Config) (string, error) {
	imgs, err := cfg.Images.List()
	if err != nil {
		return "", err
	}
	if len(imgs) == 0 {
		return "", fmt.Errorf("no base image: run `vlab images build debian-12`")
	}
	return fmt.Sprintf("%d image(s), %s first", len(imgs), imgs[0].Name), nil
}

// diskFree reports the free space where vlab keeps its data.
func diskFree(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(d, &st); err == nil {
			free := st.Bavail * uint64(st.Bsize)
			if free < 5<<30 {
				return "", fmt.Errorf("only %d MB free under %s; a lab needs a few GB: free some space", free>>20, d)
			}
			return fmt.Sprintf("%d GB free under %s", free>>30, d), nil
		}
		if d == "/" || d == "." {
			return "", fmt.Errorf("cannot stat %s: %v", dir, os.ErrNotExist)
		}
	}
}
