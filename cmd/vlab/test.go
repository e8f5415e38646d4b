package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/labtest"
)

func testCommand() *cli.Command {
	return &cli.Command{
		Name:  "test",
		Usage: "prove a lab on real VMs: it starts broken, its solution and every tests/fix-* fix it, every cheat does not",
		Description: "Runs in an instance of its own (test-<lab>) from the lab's golden state when one is cached.\n" +
			"Exit 0 when every step held, 1 when one did not, 2 when the test could not run.",
		ArgsUsage: "<lab>",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "instance", Aliases: []string{"i"}, Usage: "run in this instance (default test-<lab>)"},
			&cli.BoolFlag{Name: "keep", Usage: "leave the instance up at the end"},
			&cli.StringFlag{Name: "junit", Usage: "also write the steps as JUnit XML to `FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.DurationFlag{Name: "settle", Value: labtest.DefaultSettle,
				Usage: "check a step that should fix the incident again until it does, for this long (0: check once)"},
		},
		Action: func(c *cli.Context) error {
			ref, err := oneArg(c, "lab")
			if err != nil {
				return err
			}
			id := c.String("instance")
			if id == "" {
				id = labtest.DefaultID(labfile.RefName(ref))
			}
			if err := instance.CheckID(id); err != nil {
				return err
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			lab, err := e.lab(ref)
			if err != nil {
				return err
			}
			s := e.settings()
			p, err := s.Provisioner(id)
			if err != nil {
				return err
			}
			m := s.ManagerFor(id)
			defer m.Close()
			r, err := labtest.Run(c.Context, lab, labtest.Options{Manager: m, ID: id, Provisioner: p,
				Keep: c.Bool("keep"), Settle: settle(c.Duration("settle")), Progress: e.stderr, Verbose: e.verbose()})
			if path := c.String("junit"); path != "" && r != nil {
				if werr := r.SaveJUnit(path); werr != nil {
					return werr
				}
			}
			if err != nil {
				return fmt.Errorf("test of lab %s could not go on: %w", lab.Name, err)
			}
			if err := e.printResult(c, r, r.WriteText); err != nil {
				return err
			}
			if !r.Passed() {
				return exitError{code: 1}
			}
			return nil
		},
	}
}

// settle turns --settle into labtest.Options.Settle, where zero means the
// default and a negative duration means one check.
func settle(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
