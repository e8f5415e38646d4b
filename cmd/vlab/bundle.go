package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/bundle"
)

func bundleCommand() *cli.Command {
	return &cli.Command{
		Name:  "bundle",
		Usage: "carry a lab to a machine with no network: lab, base images and packages in one file",
		Subcommands: []*cli.Command{
			{
				Name:      "create",
				Usage:     "write a lab, the images its VMs boot and its pinned packages to FILE (.tar.gz)",
				ArgsUsage: "<lab> FILE",
				Action:    bundleCreate,
			},
			{
				Name:      "import",
				Usage:     "put a bundle's lab under --labs and its images and packages in VLAB_HOME",
				ArgsUsage: "FILE",
				Action:    bundleImport,
			},
		},
	}
}

func bundleCreate(c *cli.Context) error {
	if c.NArg() != 2 {
		return fmt.Errorf("usage: vlab bundle create <lab> FILE")
	}
	e, err := newEnv(c)
	if err != nil {
		return err
	}
	lab, err := e.lab(c.Args().Get(0))
	if err != nil {
		return err
	}
	out := c.Args().Get(1)
	m, err := bundle.Create(c.Context, lab, out, bundle.CreateOptions{Images: e.store(), CacheDir: e.home.Cache(), Verbose: e.verbose()})
	if err != nil {
		return err
	}
	st, _ := os.Stat(out)
	fmt.Fprintf(e.stderr, "bundle of %s written to %s (%d MB: %d image(s), %d package file(s))\n",
		lab.Name, out, st.Size()>>20, len(m.Images), m.Debs())
	return nil
}

func bundleImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("usage: vlab bundle import FILE")
	}
	e, err := newEnv(c)
	if err != nil {
		return err
	}
	file := c.Args().First()
	r, err := bundle.Import(c.Context, file, bundle.ImportOptions{LabsDir: c.String("labs"), Images: e.store(),
		CacheDir: e.home.Cache(), TempDir: filepath.Join(e.home.Dir, "staging")})
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	for _, name := range r.Kept {
		fmt.Fprintf(e.stderr, "image %s: this machine's own image of that name is kept; `vlab images rm %s` and import again to use the bundle's\n", name, name)
	}
	lab := r.Manifest.Lab // a valid lab name: Import refuses any other
	fmt.Fprintf(e.stderr, "lab %s imported into %s; `vlab up %s` needs no network\n", lab, r.LabDir, lab)
	return nil
}
