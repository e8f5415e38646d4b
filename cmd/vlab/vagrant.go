package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

var driverFlag = &cli.StringFlag{Name: "driver", EnvVars: []string{"VLAB_DRIVER"},
	Usage: "how to run the VMs: libvirt, or vagrant (Vagrant with vagrant-libvirt)"}

func boxCommand() *cli.Command {
	return &cli.Command{
		Name:      "box",
		Usage:     "package a base image as a Vagrant box for vagrant-libvirt and add it (offline)",
		ArgsUsage: "<image>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "force", Usage: "pack and add it again even if Vagrant has it"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the .box file there instead of adding it"},
		},
		Action: func(c *cli.Context) error {
			name, err := oneArg(c, "image name")
			if err != nil {
				return err
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			i, err := e.store().Get(name)
			if err != nil {
				return err
			}
			if out := c.String("output"); out != "" {
				return i.PackBox(c.Context, out, e.verbose())
			}
			name, added, err := e.drivers("vagrant", c.String("connect")).AddBox(c.Context, i, c.Bool("force"))
			if err != nil {
				return err
			} else if !added {
				fmt.Fprintf(e.stderr, "box %s is there already (--force adds it again)\n", name)
				return nil
			}
			fmt.Fprintf(e.stderr, "box %s added\n", name)
			return nil
		},
	}
}
