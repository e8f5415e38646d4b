package vagrant

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/vlab-dev/vlab/vm"
)

// BoxName is the name of the Vagrant box of a base image; the digest in it
// makes a rebuilt image a new box.
func BoxName(img vm.Image) string {
	return "vlab/" + img.Name + "-" + img.Digest[:12]
}

// BoxAdder installs vlab's boxes with `vagrant box add`, from a file it
// packs itself: no download.
type BoxAdder struct {
	Cmder   Cmder
	Vagrant string // default "vagrant"
	// Pack writes the box file of img to path.
	Pack func(ctx context.Context, img vm.Image, path string) error
	// TempDir holds the box file while it is added; default os.TempDir().
	TempDir string
}

var _ Boxes = BoxAdder{}

func (b BoxAdder) vagrant(ctx context.Context, args ...string) (string, error) {
	prog := b.Vagrant
	if prog == "" {
		prog = "vagrant"
	}
	return b.Cmder.Run(ctx, Cmd{Args: append([]string{prog}, args...), Env: []string{"VAGRANT_CHECKPOINT_DISABLE=1", "VAGRANT_NO_COLOR=1"}})
}

// Has tells whether the box is installed for the libvirt provider.
func (b BoxAdder) Has(ctx context.Context, name string) (bool, error) {
	out, err := b.vagrant(ctx, "box", "list", "--machine-readable")
	if err != nil {
		return false, err
	}
	// Lines are: timestamp,target,type,data; box-name and box-provider alternate.
	var last string
	for _, l := range strings.Split(out, "\n") {
		f := strings.SplitN(strings.TrimSpace(l), ",", 4)
		if len(f) < 4 {
			continue
		}
		switch f[2] {
		case "box-name":
			last = f[3]
		case "box-provider":
			if last == name && f[3] == "libvirt" {
				return true, nil
			}
		}
	}
	return false, nil
}

// Ensure adds the box of img unless it is installed.
func (b BoxAdder) Ensure(ctx context.Context, img vm.Image) (string, error) {
	name := BoxName(img)
	if ok, err := b.Has(ctx, name); err != nil || ok {
		return name, err
	}
	return name, b.Add(ctx, img, false)
}

// Add packs the box of img and adds it; force replaces an installed one.
func (b BoxAdder) Add(ctx context.Context, img vm.Image, force bool) error {
	tmp, err := os.MkdirTemp(b.TempDir, "vlab-box-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	path := tmp + "/" + strings.ReplaceAll(BoxName(img), "/", "-") + ".box"
	if err := b.Pack(ctx, img, path); err != nil {
		return fmt.Errorf("pack box of image %s: %w", img.Name, err)
	}
	args := []string{"box", "add", "--name", BoxName(img), "--provider", "libvirt"}
	if force {
		args = append(args, "--force")
	}
	if _, err := b.vagrant(ctx, append(args, path)...); err != nil {
		return fmt.Errorf("add box %s: %w", BoxName(img), err)
	}
	return nil
}
