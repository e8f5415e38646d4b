package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/vm/libvirt"
)

// check is one line of `vlab doctor`: ok, or a problem and what to do.
type check struct {
	name string
	run  func(ctx context.Context) (detail string, err error)
}

func doctorCommand() *cli.Command {
	return &cli.Command{
		Name:  "doctor",
		Usage: "check that this host can run labs",
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			failed := 0
			for _, ch := range e.checks() {
				ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
				detail, err := ch.run(ctx)
				cancel()
				if err != nil {
					failed++
					fmt.Fprintf(e.stdout, "✗ %-12s %v\n", ch.name, err)
					continue
				}
				fmt.Fprintf(e.stdout, "✓ %-12s %s\n", ch.name, detail)
			}
			if failed > 0 {
				return exitError{code: 1, err: fmt.Errorf("%d check(s) failed", failed)}
			}
			return nil
		},
	}
}

func (e *env) checks() []check {
	tool := func(name, why string) check {
		return check{name, func(context.Context) (string, error) {
			p, err := exec.LookPath(name)
			if err != nil {
				return "", fmt.Errorf("%s not found (%s): run scripts/setup-host", name, why)
			}
			return p, nil
		}}
	}
	return []check{
		tool("qemu-system-x86_64", "runs the VMs"),
		tool("qemu-img", "makes disks"),
		tool("mmdebstrap", "builds base images"),
		tool("git", "exports puppet trees"),
		{"libvirt", func(ctx context.Context) (string, error) {
			d, err := libvirt.Connect(ctx, e.libvirtOptions(e.c.String("connect")))
			if err != nil {
				return "", err
			}
			d.Close()
			return e.c.String("connect") + " answers, storage pool ready", nil
		}},
		{"accel", func(ctx context.Context) (string, error) {
			a, err := e.accel(ctx, e.c.String("connect"))
			return string(a), err
		}},
		{"disk", func(context.Context) (string, error) { return diskFree(e.home.Dir) }},
		{"images", func(context.Context) (string, error) {
			imgs, err := e.store().List()
			if err != nil {
				return "", err
			}
			if len(imgs) == 0 {
				return "", fmt.Errorf("no base image: run `vlab images build debian-12`")
			}
			return fmt.Sprintf("%d image(s), %s first", len(imgs), imgs[0].Name), nil
		}},
	}
}

// diskFree reports the free space where vlab keeps its data.
func diskFree(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(d, &st); err == nil {
			free := st.Bavail * uint64(st.Bsize)
			if free < 5<<30 {
				return "", fmt.Errorf("only %d MB free under %s; a lab needs a few GB: free some space", free>>20, d)
			}
			return fmt.Sprintf("%d GB free under %s", free>>30, d), nil
		}
		if d == "/" || d == "." {
			return "", fmt.Errorf("cannot stat %s: %v", dir, os.ErrNotExist)
		}
	}
}
