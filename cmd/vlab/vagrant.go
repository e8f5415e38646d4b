package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/vagrant"
)

var driverFlag = &cli.StringFlag{Name: "driver", EnvVars: []string{"VLAB_DRIVER"},
	Usage: "how to run the VMs: libvirt, or vagrant (Vagrant with vagrant-libvirt)"}

// driverName picks the driver: --driver or VLAB_DRIVER, else the one
// instance id was made with, else libvirt.
func (e *env) driverName(id string) string {
	if n := e.c.String("driver"); n != "" {
		return n
	}
	if id != "" {
		return e.home.DriverOf(id)
	}
	if n := os.Getenv("VLAB_DRIVER"); n != "" {
		return n
	}
	return instance.DefaultDriver
}

// connector returns how the manager connects to the named driver.
func (e *env) connector(name, uri string) func(ctx context.Context) (vm.Driver, error) {
	return func(ctx context.Context) (vm.Driver, error) {
		switch name {
		case "libvirt":
			return e.libvirtDriver(ctx, uri)
		case "vagrant":
			if strings.HasPrefix(uri, "qemu+ssh:") {
				return nil, fmt.Errorf("driver vagrant runs VMs on this machine only, not on %s", uri)
			}
			return e.vagrantDriver(ctx, uri)
		}
		return nil, fmt.Errorf("driver %q: use libvirt or vagrant", name)
	}
}

// vagrantDriver runs VMs through Vagrant, each instance a Vagrant project
// in its own folder, with the libvirt driver as the fast path.
func (e *env) vagrantDriver(ctx context.Context, uri string) (*vagrant.Driver, error) {
	lv, err := e.libvirtDriver(ctx, uri)
	if err != nil {
		return nil, err
	}
	d, err := vagrant.New(vagrant.Options{
		Cmder:   vagrant.Exec{Verbose: e.verbose()},
		Domains: lv,
		Boxes:   e.boxes(),
		Index:   filepath.Join(e.home.Dir, "vagrant", "machines"),
		Project: func(spec vm.Spec) (string, string) {
			// The label is the instance's ID, validated by up.
			dir, _ := e.home.Instance(spec.Labels["instance"])
			key, _ := e.home.KeyFile(spec.Labels["instance"])
			return dir, key
		},
	})
	if err != nil {
		lv.Close()
		return nil, err
	}
	return d, nil
}

// boxes adds vlab's boxes packed from the image store.
func (e *env) boxes() vagrant.BoxAdder {
	return vagrant.BoxAdder{
		Cmder:   vagrant.Exec{Verbose: e.verbose()},
		TempDir: e.home.Dir,
		Pack: func(ctx context.Context, img vm.Image, path string) error {
			i, err := e.store().Get(img.Name)
			if err != nil {
				return err
			}
			if i.Digest != img.Digest {
				return fmt.Errorf("image %s changed while its box was made; try again", img.Name)
			}
			fmt.Fprintf(e.stderr, "packing image %s as Vagrant box %s\n", img.Name, vagrant.BoxName(img))
			return i.PackBox(ctx, path, e.verbose())
		},
	}
}

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
			b := e.boxes()
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
