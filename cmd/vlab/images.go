package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/images"
)

func imagesCommand() *cli.Command {
	return &cli.Command{
		Name:  "images",
		Usage: "build, import, list and remove base images",
		Subcommands: []*cli.Command{
			boxCommand(),
			{
				Name:      "build",
				Usage:     "build a base image with mmdebstrap (needs root and a Debian mirror)",
				ArgsUsage: "[name (default debian-12)]",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "force", Usage: "rebuild even if the recipe has not changed"}},
				Action: func(c *cli.Context) error {
					e, err := newEnv(c)
					if err != nil {
						return err
					}
					name := c.Args().First()
					if name == "" {
						name = "debian-12"
					}
					r, err := images.Lookup(name)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "building image %s\n", name)
					img, err := e.store().Build(c.Context, r, images.BuildOptions{Force: c.Bool("force"), Progress: e.stderr, Verbose: e.verbose()})
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "image %s ready: sha256:%s (%d MB)\n", img.Name, img.Digest[:12], img.Size>>20)
					return nil
				},
			},
			{
				Name:      "import",
				Usage:     "import an existing qcow2 disk as a base image",
				ArgsUsage: "<name> <disk.qcow2>",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "kernel", Usage: "kernel for direct boot (else the disk's own bootloader)"},
					&cli.StringFlag{Name: "initrd", Usage: "initrd for direct boot"},
				},
				Action: func(c *cli.Context) error {
					if c.NArg() != 2 {
						return fmt.Errorf("images import: usage: vlab images import <name> <disk.qcow2>")
					}
					e, err := newEnv(c)
					if err != nil {
						return err
					}
					img, err := e.store().Import(c.Context, c.Args().Get(0), images.Files{Disk: c.Args().Get(1), Kernel: c.String("kernel"), Initrd: c.String("initrd")})
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stderr, "image %s imported: sha256:%s\n", img.Name, img.Digest[:12])
					return nil
				},
			},
			{
				Name:  "list",
				Usage: "list base images",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: func(c *cli.Context) error {
					e, err := newEnv(c)
					if err != nil {
						return err
					}
					ents, err := e.store().Entries()
					if err != nil {
						return err
					}
					if c.Bool("json") {
						return images.WriteJSON(e.stdout, ents)
					}
					return images.WriteTable(e.stdout, e.stderr, ents)
				},
			},
			{
				Name:      "rm",
				Usage:     "remove a base image",
				ArgsUsage: "<name>",
				Action: func(c *cli.Context) error {
					name, err := oneArg(c, "image name")
					if err != nil {
						return err
					}
					e, err := newEnv(c)
					if err != nil {
						return err
					}
					r, err := e.store().Remove(name)
					if err != nil {
						return fmt.Errorf("remove image %s: %w", name, err)
					}
					fmt.Fprintln(e.stderr, r.Describe(name))
					return nil
				},
			},
		},
	}
}
