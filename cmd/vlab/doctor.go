package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/hostcheck"
	"github.com/vlab-dev/vlab/internal/termtext"
)

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check that this host can run labs",
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			failed := 0
			for _, ch := range hostcheck.For(e.drivers("libvirt", c.String("connect"))) {
				r := ch.Do(c.Context)
				if r.Err != nil {
					failed++
					fmt.Fprintf(e.stdout, "✗ %-16s %s\n", r.Name, termtext.Line(r.Err.Error()))
					continue
				}
				fmt.Fprintf(e.stdout, "✓ %-16s %s\n", r.Name, termtext.Line(r.Detail))
			}
			if failed > 0 {
				return exitError{code: 1, err: fmt.Errorf("%d check(s) failed", failed)}
			}
			return nil
		},
	}
}
