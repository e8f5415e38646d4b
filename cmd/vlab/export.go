package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/export"
	"github.com/vlab-dev/vlab/vm"
)

func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a lab as a standalone Vagrant project that needs only Vagrant and vagrant-libvirt",
		ArgsUsage: "<lab> <dir>",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "vagrant", Usage: "export for Vagrant (the only format so far)"},
			&cli.StringFlag{Name: "accel", Value: "kvm", Usage: "libvirt domain type on the target machine: kvm, or tcg without KVM"},
			&cli.BoolFlag{Name: "no-box", Usage: "do not include the base images as .box files"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 || !c.Bool("vagrant") {
				return errors.New("export: usage: vlab export <lab> <dir> --vagrant")
			}
			accel, err := vm.ParseAccel(c.String("accel"))
			if err != nil {
				return err
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			lab, err := e.lab(c.Args().Get(0))
			if err != nil {
				return err
			}
			dir := c.Args().Get(1)
			opts := export.Options{Images: e.store(), CacheDir: e.home.Cache(), Accel: accel, Boxes: !c.Bool("no-box"), Verbose: e.verbose()}
			if err := export.Vagrant(c.Context, lab, dir, opts); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "exported %s to %s: `cd %s && vagrant up --provider=libvirt`\n", lab.Name, dir, dir)
			return nil
		},
	}
}
