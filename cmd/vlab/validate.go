package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

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
			var opts provision.ValidateOptions
			if c.Bool("deep") {
				e, err := newEnv(c)
				if err != nil {
					return err
				}
				opts = provision.ValidateOptions{Deep: true, Images: e.store(),
					DeepOptions: provision.DeepOptions{CacheDir: e.home.Cache(), Offline: c.Bool("offline"), Verbose: e.verbose()}}
			}
			total, bad, err := provision.Validate(c.Context, c.App.Writer, labsDir(c), c.Args().Slice(), opts)
			if err == nil && bad > 0 {
				return exitError{code: 1, err: fmt.Errorf("%d of %d labs invalid", bad, total)}
			}
			return err
		},
	}
}
