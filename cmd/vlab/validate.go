package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check lab files and report every problem with file, line and field",
		ArgsUsage: "[lab or path]...",
		Description: "With no argument, every lab under --labs is checked. Exits 1 when a lab has problems.\n" +
			"--deep also checks, without VMs, what `vlab up` would find late: pinned package versions and their\n" +
			"dependencies, puppet revisions, and that the manifests parse (needs puppet on the host).\n" +
			"The format is described in docs/LAB-FORMAT.md.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "deep", Usage: "also check packages, puppet revisions and manifests (may use the network)"},
			&cli.BoolFlag{Name: "offline", Usage: "with --deep: no network; use the cached package index and git mirrors"},
		},
		Action: func(c *cli.Context) error {
			refs := c.Args().Slice()
			if len(refs) == 0 {
				found, err := labfile.List(labsDir(c))
				if err != nil {
					return err
				}
				for _, f := range found {
					refs = append(refs, f.File)
				}
			}
			deep, err := deepChecker(c)
			if err != nil {
				return err
			}
			bad := 0
			for _, ref := range refs {
				if !validateOne(c.App.Writer, labsDir(c), ref, deep) {
					bad++
				}
			}
			if bad > 0 {
				return exitError{code: 1, err: fmt.Errorf("%d of %d labs invalid", bad, len(refs))}
			}
			return nil
		},
	}
}

// deepChecker is what `--deep` checks of a loaded lab, or nil without it.
type deepCheck func(*labfile.Lab) provision.DeepReport

func deepChecker(c *cli.Context) (deepCheck, error) {
	if !c.Bool("deep") {
		return nil, nil
	}
	e, err := newEnv(c)
	if err != nil {
		return nil, err
	}
	opts := provision.DeepOptions{CacheDir: e.home.Cache(), Offline: c.Bool("offline"), Verbose: e.verbose(),
		ImageStatus: func(name string) string {
			if img, err := e.store().Get(name); err == nil {
				return img.Status
			}
			return ""
		}}
	return func(lab *labfile.Lab) provision.DeepReport { return provision.CheckDeep(c.Context, lab, opts) }, nil
}

// validateOne prints what is wrong with one lab, or that it is fine, and
// reports whether it is fine. deep, when set, adds its checks.
func validateOne(w io.Writer, dir, ref string, deep deepCheck) bool {
	path, err := labfile.Resolve(dir, ref)
	if err != nil {
		fmt.Fprintln(w, termtext.Line(err.Error()))
		return false
	}
	lab, err := labfile.Load(path)
	var inv *labfile.InvalidError
	switch {
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			fmt.Fprintln(w, termtext.Line(p.Error()))
		}
		return false
	case err != nil:
		fmt.Fprintln(w, termtext.Line(err.Error()))
		return false
	}
	for _, p := range lab.Warnings() {
		fmt.Fprintln(w, termtext.Line(p.Error()))
	}
	if deep != nil {
		r := deep(lab)
		for _, n := range r.Notes {
			fmt.Fprintln(w, termtext.Line(path+": note: "+n))
		}
		for _, p := range r.Problems {
			fmt.Fprintln(w, termtext.Line(p.Error()))
		}
		if len(r.Problems) > 0 {
			return false
		}
	}
	fmt.Fprintf(w, "%s: ok: %s, %s, %s, %s\n", path, lab.Name, termtext.Count(len(lab.VMs), "VM"), termtext.Count(len(lab.Injects), "inject"), termtext.Count(len(lab.Probes), "probe"))
	return true
}
