package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

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
						return json.NewEncoder(e.stdout).Encode(imageRows(ents))
					}
					w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
					fmt.Fprintln(w, "NAME\tDIGEST\tSIZE\tBUILT\tSOURCE\tKERNEL")
					for _, en := range ents {
						if i := en.Image; i != nil {
							fmt.Fprintf(w, "%s\t%s\t%d MB\t%s\t%s\t%s\n", i.Name, i.Digest[:12], i.Size>>20, i.Built.Local().Format("2006-01-02 15:04"), i.Source, i.Manifest.Kernel)
						} else {
							fmt.Fprintf(w, "%s\t-\t-\t-\tbroken\t-\n", en.Name)
						}
					}
					if err := w.Flush(); err != nil {
						return err
					}
					for _, en := range ents {
						if en.Err != nil {
							fmt.Fprintf(e.stderr, "image %s is broken (%v); `vlab images rm %s` removes its tag\n", en.Name, en.Err, en.Name)
						}
					}
					return nil
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
					switch {
					case err != nil:
						return fmt.Errorf("remove image %s: %w", name, err)
					case !r.Tag:
						fmt.Fprintf(e.stderr, "no image %s: nothing removed\n", name)
					case r.Broken != nil:
						fmt.Fprintf(e.stderr, "removed the broken tag %s (its image folder was missing or unreadable)\n", name)
					case r.Folder == "":
						fmt.Fprintf(e.stderr, "removed image %s; its files stay, another tag uses them\n", name)
					default:
						fmt.Fprintf(e.stderr, "removed image %s and its files\n", name)
					}
					return nil
				},
			},
		},
	}
}

// imageRow is one line of `vlab images list --json`: an image's manifest,
// or the error of a broken tag.
type imageRow struct {
	*images.Manifest
	Tag    string `json:"tag,omitempty"`
	Broken string `json:"broken,omitempty"`
}

func imageRows(ents []images.Entry) []imageRow {
	rows := []imageRow{}
	for _, en := range ents {
		if en.Image != nil {
			rows = append(rows, imageRow{Manifest: &en.Image.Manifest})
		} else {
			rows = append(rows, imageRow{Tag: en.Name, Broken: en.Err.Error()})
		}
	}
	return rows
}
