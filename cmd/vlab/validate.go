package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

func validateCommand() *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "check lab files and report every problem with file, line and field",
		ArgsUsage: "[lab or path]...",
		Description: "With no argument, every lab under --labs is checked. Exits 1 when a lab has problems.\n" +
			"The format is described in docs/LAB-FORMAT.md.",
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
			bad := 0
			for _, ref := range refs {
				if !validateOne(c.App.Writer, labsDir(c), ref) {
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

// validateOne prints what is wrong with one lab, or that it is fine, and
// reports whether it is fine.
func validateOne(w io.Writer, dir, ref string) bool {
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
	fmt.Fprintf(w, "%s: ok: %s, %d VMs, %d injects, %d probes\n", path, lab.Name, len(lab.VMs), len(lab.Injects), len(lab.Probes))
	return true
}
