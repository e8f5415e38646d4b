package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/instance"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show lab instances and their VMs",
		ArgsUsage: "[lab]",
		Flags:     []cli.Flag{instanceFlag, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			var ids []string
			if c.NArg() > 0 || c.String("instance") != "" {
				id, err := instanceID(c, c.Args().First())
				if err != nil {
					return err
				}
				ids = []string{id}
			}
			rows, err := e.settings().Status(c.Context, ids...)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if rows == nil {
					rows = []instance.VMStatus{}
				}
				return e.printResult(c, rows, nil)
			}
			if len(rows) == 0 {
				fmt.Fprintln(e.stderr, "no lab instances; `vlab up <lab>` starts one")
				return nil
			}
			return instance.WriteStatus(e.stdout, e.stderr, rows)
		},
	}
}
