package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

var driverFlag = &cli.StringFlag{Name: "driver", EnvVars: []string{"VLAB_DRIVER"},
	Usage: "how to run the VMs: libvirt, or vagrant (Vagrant with vagrant-libvirt)"}

// vmImage is the driver's view of a stored image.
func vmImage(i *images.Image) vm.Image {
	return vm.Image{Name: i.Name, Digest: i.Digest, Disk: i.Disk, Kernel: i.Kernel, Initrd: i.Initrd}
}

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
			b := e.drivers("vagrant", e.c.String("connect")).Boxes()
			img := vmImage(i)
			if ok, err := b.Has(c.Context, vagrant.BoxName(img)); err != nil {
				return err
			} else if ok && !c.Bool("force") {
				fmt.Fprintf(e.stderr, "box %s is there already (--force adds it again)\n", vagrant.BoxName(img))
				return nil
			}
			if err := b.Add(c.Context, img, c.Bool("force")); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "box %s added\n", vagrant.BoxName(img))
			return nil
		},
	}
}
