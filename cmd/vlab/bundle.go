package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/bundle"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
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
	src := bundle.Source{Lab: lab.Name, LabDir: lab.Dir, ImagesDir: e.home.Images(), CacheDir: e.home.Cache()}
	debDir := filepath.Join(lab.Dir, "debs")
	hasDebs := false
	if st, err := os.Stat(debDir); err == nil && st.IsDir() {
		hasDebs = true
	}
	for _, v := range lab.VMs {
		img, err := e.store().Get(v.Image)
		if err != nil {
			return fmt.Errorf("vm %s: %w; build or import it first", v.Name, err)
		}
		if !slices.ContainsFunc(src.Images, func(i bundle.Image) bool { return i.Digest == img.Digest }) {
			src.Images = append(src.Images, bundle.Image{Name: v.Image, Digest: img.Digest})
		}
		for i, s := range v.Provision {
			switch {
			case s.Puppet != nil:
				if err := bundlablePuppet(s.Puppet.Repo); err != nil {
					return fmt.Errorf("%s: vm %s: provision step %d: %w", filepath.Join(lab.Dir, labfile.FileName), v.Name, i+1, err)
				}
			case s.Packages != nil && !hasDebs:
				// Resolve the closure now, online, so that the other machine
				// finds it in its cache.
				files, err := provision.Prefetch(c.Context, provision.FetchSpec{Pins: s.Packages,
					ImageDigest: img.Digest, Status: img.Status, CacheDir: e.home.Cache(), Verbose: e.verbose()})
				if err != nil {
					return fmt.Errorf("vm %s: packages: %w", v.Name, err)
				}
				src.CacheFiles = append(src.CacheFiles, files...)
			}
		}
	}
	out := c.Args().Get(1)
	tmp, err := os.CreateTemp(filepath.Dir(out), ".bundle-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := bundle.Write(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("bundle %s: %w", lab.Name, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	st, _ := os.Stat(out)
	fmt.Fprintf(e.stderr, "bundle of %s written to %s (%d MB: %d image(s), %d cached package file(s))\n",
		lab.Name, out, st.Size()>>20, len(src.Images), len(src.CacheFiles))
	return nil
}

// bundlablePuppet accepts puppet repositories a bundle carries inside the
// lab folder: a git bundle file. A folder's history lives in the git
// repository around it, and a URL's in vlab's cache of that URL.
func bundlablePuppet(repo string) error {
	if strings.HasSuffix(repo, ".bundle") && !filepath.IsAbs(repo) && filepath.IsLocal(repo) {
		return nil
	}
	return fmt.Errorf("puppet repo %q cannot travel in a bundle: keep the puppet history in the lab as a git bundle (`git bundle create puppet.bundle --all`) and name it in repo:", repo)
}

func bundleImport(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("usage: vlab bundle import FILE")
	}
	e, err := newEnv(c)
	if err != nil {
		return err
	}
	f, err := os.Open(c.Args().First())
	if err != nil {
		return err
	}
	defer f.Close()
	labsDir := c.String("labs")
	if err := os.MkdirAll(labsDir, 0o755); err != nil {
		return err
	}
	m, err := bundle.Read(f, bundle.Dest{LabsDir: labsDir, ImagesDir: e.home.Images(), CacheDir: e.home.Cache()})
	if err != nil {
		return fmt.Errorf("import %s: %w", c.Args().First(), err)
	}
	fmt.Fprintf(e.stderr, "lab %s imported into %s; `vlab up %s` needs no network\n", m.Lab, filepath.Join(labsDir, m.Lab), m.Lab)
	return nil
}
