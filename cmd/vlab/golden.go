package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/instance"
)

func goldenCommand() *cli.Command {
	return &cli.Command{
		Name:  "golden",
		Usage: "the golden states this host keeps, so that a lab's later instances start without provisioning",
		Subcommands: []*cli.Command{
			{
				Name:  "list",
				Usage: "list them with their size and last use",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: func(c *cli.Context) error {
					e, err := newEnv(c)
					if err != nil {
						return err
					}
					m := e.settings().Host()
					defer m.Close()
					list, err := m.Goldens(c.Context)
					if err != nil {
						return err
					}
					if c.Bool("json") || len(list) > 0 {
						return e.printResult(c, list, func(w io.Writer) error { return instance.WriteGoldens(w, list) })
					}
					if why := m.NoGoldenStore(c.Context); why != "" {
						fmt.Fprintf(e.stderr, "this host keeps no golden states (%s); each instance here provisions\n", why)
						return nil
					}
					fmt.Fprintln(e.stderr, "no golden states kept; the first `vlab up` of a lab makes one")
					return nil
				},
			},
			{
				Name:      "rm",
				Usage:     "remove a lab's golden states (its next instance provisions again)",
				ArgsUsage: "<lab>",
				Action: func(c *cli.Context) error {
					lab, err := oneArg(c, "lab")
					if err != nil {
						return err
					}
					e, err := newEnv(c)
					if err != nil {
						return err
					}
					m := e.settings().Host()
					defer m.Close()
					n, err := m.RemoveGoldens(c.Context, lab)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "removed %d golden state(s) of lab %s\n", n, lab)
					return nil
				},
			},
		},
	}
}
