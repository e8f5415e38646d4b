package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// DeepOptions configure CheckDeep.
type DeepOptions struct {
	// CacheDir is vlab's cache: package indexes, git mirrors, puppet trees.
	CacheDir string
	// Offline forbids the network: package versions are checked against
	// the cached index and remote repositories against their mirrors.
	Offline bool
	// Sources are the apt sources of labs without debs/; empty means
	// DefaultSources.
	Sources []string
	// Arch is the guests' Debian architecture; empty means the host's.
	Arch string
	// ImageStatus returns the dpkg status file of the named base image, or
	// "" when the image is not built here. Nil means no image is.
	ImageStatus func(image string) string
	// Puppet is the puppet command; empty means "puppet" on PATH.
	Puppet string
	// Verbose receives what apt, git and puppet print.
	Verbose io.Writer
	// Now is the clock for the age of a cached index; nil means time.Now.
	Now func() time.Time
}

// DeepReport is what CheckDeep found.
type DeepReport struct {
	// Problems are what `vlab up` would fail on, each at its field.
	Problems []labfile.Problem
	// Notes say how something was checked or why it could not be checked
	// fully: the age of a cached package index, an image not built.
	Notes []string
}

// CheckDeep checks, without VMs, what `vlab up` would otherwise find late:
// every pinned package version exists in the lab's debs/ or the apt
// sources and each VM's pins can be installed together; every puppet
// revision exists in its repository; the manifests at that revision parse.
// It uses the same package index, git mirrors and exported trees as
// provisioning, so a lab that passes has them cached for `up`. Nothing of
// the lab runs on the host: git runs as for ExportPuppet and puppet only
// parses the tree's .pp files.
func CheckDeep(ctx context.Context, lab *labfile.Lab, opts DeepOptions) DeepReport {
	if len(opts.Sources) == 0 {
		opts.Sources = DefaultSources()
	}
	if opts.Arch == "" {
		opts.Arch = hostArch()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ImageStatus == nil {
		opts.ImageStatus = func(string) string { return "" }
	}
	d := &deepCheck{lab: lab, opts: opts}
	if opts.CacheDir == "" {
		d.problem(errors.New("no cache directory"))
		return d.report
	}
	d.packages(ctx)
	d.puppet(ctx)
	return d.report
}

// deepCheck gathers one lab's report.
type deepCheck struct {
	lab    *labfile.Lab
	opts   DeepOptions
	report DeepReport
}

// problem records err at field, a path into the lab as for lab.Problem.
func (d *deepCheck) problem(err error, field ...any) {
	d.report.Problems = append(d.report.Problems, d.lab.Problem(err.Error(), field...))
}

func (d *deepCheck) note(format string, args ...any) {
	d.report.Notes = append(d.report.Notes, fmt.Sprintf(format, args...))
}

// stepField is the path of a VM's provision step.
func stepField(vm, step int, more ...any) []any {
	return append([]any{"vms", vm, "provision", step}, more...)
}

// age says how long ago t was, in the largest whole unit.
func age(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "less than a minute ago"
	case d < time.Hour:
		return termtext.Count(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return termtext.Count(int(d/time.Hour), "hour") + " ago"
	default:
		return termtext.Count(int(d/(24*time.Hour)), "day") + " ago"
	}
}
