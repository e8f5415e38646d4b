package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// ApplyOptions says what Apply provisions and with what.
type ApplyOptions struct {
	Lab    *labfile.Lab
	VM     string
	Runner Runner // reaches the VM, booted from its base image
	// Plan, when set, is the VM's plan from NewPlan, the one its golden key
	// was computed from; Apply makes one otherwise.
	Plan *Plan

	CacheDir    string // puppet mirrors and trees, and the package cache
	ImageDigest string // the base image; package closures depend on it
	Status      string // the base image's dpkg status file
	DebDir      string // a directory of .debs to use instead of Sources
	Sources     []string
	Offline     bool

	// Progress receives one line per step: "  puppet @ abc1234 ... ok (12.3s)".
	Progress io.Writer
	// Verbose, when set, receives everything the guest and host tools printed.
	Verbose io.Writer
	// Log, when set, also receives everything they printed, under a line
	// naming each step: the provisioning log kept in the instance's folder.
	Log io.Writer
}

// output is where the guest's and the host tools' output goes: Verbose
// and Log. vlab itself keeps only the last lines of each command.
func (opts ApplyOptions) output() io.Writer {
	switch {
	case opts.Log == nil:
		return opts.Verbose
	case opts.Verbose == nil:
		return opts.Log
	}
	return io.MultiWriter(opts.Verbose, opts.Log)
}

// Record is what provisioning one VM resolved and installed.
type Record struct {
	VM     string       `json:"vm"`
	Puppet []PuppetTree `json:"puppet,omitempty"` // in step order
	// Packages are the installed versions of the pinned packages and the
	// dependencies that were installed with them.
	Packages map[string]string `json:"packages,omitempty"`
	Triggers []string          `json:"triggers,omitempty"` // systemd units started
}

// Apply provisions one VM: it runs the VM's provision steps in order, then
// starts the lab's triggers for that VM. It stops at the first failing
// step.
func Apply(ctx context.Context, opts ApplyOptions) (Record, error) {
	rec := Record{VM: opts.VM, Packages: map[string]string{}}
	plan, err := opts.plan(ctx)
	if err != nil {
		return rec, err
	}
	// From here on opts.Verbose carries the log too; shown is what the
	// user sees.
	shown := opts.Verbose
	opts.Verbose = opts.output()
	for i, s := range plan.VM.Provision {
		label := stepLabel(plan, i, s)
		logStep(opts.Log, opts.VM, label)
		err := timed(opts.Progress, shown, label, func() error {
			return applyStep(ctx, opts, plan, i, s, &rec)
		})
		if err != nil {
			return rec, fmt.Errorf("vm %s: step %d (%s): %w", opts.VM, i+1, label, err)
		}
	}
	if len(plan.Triggers) == 0 {
		return rec, nil
	}
	for _, t := range plan.Triggers {
		rec.Triggers = append(rec.Triggers, TriggerUnit(t))
	}
	logStep(opts.Log, opts.VM, "triggers "+triggerNames(plan.Triggers))
	err = timed(opts.Progress, shown, "triggers "+triggerNames(plan.Triggers), func() error {
		return StartTriggers(ctx, opts.Runner, plan.Triggers, plan.Client, opts.Verbose)
	})
	if err != nil {
		return rec, fmt.Errorf("vm %s: %w", opts.VM, err)
	}
	return rec, nil
}

// plan returns the given plan after checking it is for this VM, or makes one.
func (opts ApplyOptions) plan(ctx context.Context) (*Plan, error) {
	switch {
	case opts.Lab == nil || opts.Runner == nil:
		return nil, errors.New("apply: no lab or no runner")
	case opts.Plan == nil:
		return NewPlan(ctx, opts.Lab, opts.VM, PlanOptions{CacheDir: opts.CacheDir, Offline: opts.Offline, Verbose: opts.Verbose})
	case opts.Plan.Lab != opts.Lab || opts.Plan.VM.Name != opts.VM:
		return nil, fmt.Errorf("apply vm %s: the plan is for vm %s of lab %s; plan this VM", opts.VM, opts.Plan.VM.Name, opts.Plan.Lab.Name)
	}
	return opts.Plan, nil
}

func applyStep(ctx context.Context, opts ApplyOptions, plan *Plan, i int, s labfile.Step, rec *Record) error {
	switch {
	case s.Puppet != nil:
		tree := plan.Puppet[i]
		rec.Puppet = append(rec.Puppet, tree)
		return ApplyPuppet(ctx, opts.Runner, tree, *s.Puppet, opts.Verbose)
	case s.Packages != nil:
		return installStep(ctx, opts, s.Packages, rec)
	case s.File != nil:
		return CopyFile(ctx, opts.Runner, opts.Lab.Dir, *s.File, opts.Verbose)
	case s.Run != "":
		return RunScript(ctx, opts.Runner, s.Run, opts.Verbose)
	case s.Git != nil:
		return CloneRepo(ctx, opts.Runner, plan.Repos[i], s.Git.Dest, opts.Verbose)
	}
	return errors.New("the step has none of puppet, packages, file, run, git; check lab.yaml with `vlab validate`")
}

// installStep fetches the pinned packages on the host and installs them.
func installStep(ctx context.Context, opts ApplyOptions, pins map[string]string, rec *Record) error {
	debs, err := Fetch(ctx, FetchSpec{
		Pins: pins, ImageDigest: opts.ImageDigest, Status: opts.Status, CacheDir: opts.CacheDir,
		Sources: opts.Sources, DebDir: opts.DebDir, Offline: opts.Offline, Verbose: opts.Verbose,
		LabDir: opts.Lab.Dir,
	})
	if err != nil {
		return err
	}
	paths := make([]string, len(debs))
	for i, d := range debs {
		paths[i] = d.Path
	}
	if err := InstallPackages(ctx, opts.Runner, paths, pins, opts.Verbose); err != nil {
		return err
	}
	for _, d := range debs {
		rec.Packages[d.Package] = d.Version
	}
	for name, v := range pins {
		rec.Packages[name] = v
	}
	return nil
}

// RunScript runs script in the guest with `sh -ec`, so that its first
// failing command fails it. A non-zero exit is a *CommandError that keeps
// the last lines of the script's output. out receives all of it.
func RunScript(ctx context.Context, r Runner, script string, out io.Writer) error {
	return guestRun(ctx, r, "guest", "sh -ec "+quote(script), out)
}

// stepLabel names a step in progress lines and errors: its kind and its
// name, or what it does when it has no name. Both come from the lab, so
// the label is made safe for a terminal (see termtext).
func stepLabel(plan *Plan, i int, s labfile.Step) string {
	var kind, what string
	switch {
	case s.Puppet != nil:
		kind = "puppet @ " + plan.Puppet[i].Short()
	case s.Packages != nil:
		kind, what = "packages", strings.Join(sortedKeys(s.Packages), " ")
	case s.File != nil:
		kind, what = "file", s.File.Dest
	case s.Run != "":
		kind, what = "run", firstLine(s.Run)
	case s.Git != nil:
		kind, what = "git @ "+plan.Repos[i].Short(), s.Git.Dest
	}
	if s.Name != "" {
		what = s.Name
	}
	return strings.TrimSpace(termtext.Line(kind + " " + what))
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, more := strings.Cut(s, "\n")
	if len(line) > 60 {
		return line[:57] + "..."
	}
	if more {
		return line + " ..."
	}
	return line
}

func triggerNames(ts []labfile.Trigger) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, " ")
}

// logStep starts a step's part of the log.
func logStep(log io.Writer, vm, label string) {
	if log != nil {
		fmt.Fprintf(log, "== vm %s: %s (%s)\n", vm, label, time.Now().UTC().Format(time.RFC3339))
	}
}

// timed runs fn and writes one progress line for it: "  label ... ok (1.2s)".
// With verbose output the label also starts a line before fn, so the
// guest's output sits under the step that printed it.
func timed(progress, verbose io.Writer, label string, fn func() error) error {
	progress = orDiscard(progress)
	if verbose != nil {
		fmt.Fprintf(progress, "  %s ...\n", label)
	}
	start := time.Now()
	err := fn()
	result := "ok"
	if err != nil {
		result = "failed"
	}
	fmt.Fprintf(progress, "  %s ... %s (%.1fs)\n", label, result, time.Since(start).Seconds())
	return err
}
