package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	goversion "github.com/hashicorp/go-version"
	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/internal/termtext"
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
					fmt.Fprintf(e.stdout, "✗ %-16s %s\n", ch.name, termtext.Line(err.Error()))
					continue
				}
				fmt.Fprintf(e.stdout, "✓ %-16s %s\n", ch.name, termtext.Line(detail))
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
	checks := []check{tool("qemu-img", "makes disks"), tool("git", "exports puppet trees")}
	for _, t := range hostTools {
		checks = append(checks, check{t.name, t.check})
	}
	return append(checks, []check{
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
	}...)
}

// hostTool is a program vlab runs on the host, the oldest version of it
// vlab works with, and how to read its version.
type hostTool struct {
	name string
	argv []string // prints the version
	// marker starts the version in the output: the first version after it
	// on its line is the tool's.
	marker string
	min    string
	why    string
	// optional, when set, says why the tool may be missing.
	optional string
}

// hostTools are checked by doctor. The minima are what Debian 12 ships,
// on which vlab is developed and tested.
var hostTools = []hostTool{
	{name: "qemu", argv: []string{"qemu-system-x86_64", "--version"}, marker: "QEMU emulator version", min: "7.2", why: "runs the VMs"},
	{name: "libvirtd", argv: []string{"libvirtd", "--version"}, marker: "libvirt", min: "9.0", why: "manages the VMs",
		optional: "only labs run on this host need it; --connect uses another host's"},
	{name: "mmdebstrap", argv: []string{"mmdebstrap", "--version"}, marker: "mmdebstrap", min: "1.3", why: "builds base images"},
	{name: "vagrant", argv: []string{"vagrant", "--version"}, marker: "Vagrant", min: "2.3", why: "runs --driver vagrant",
		optional: "only --driver vagrant needs it"},
	{name: "vagrant-libvirt", argv: []string{"vagrant", "plugin", "list"}, marker: "vagrant-libvirt", min: "0.11",
		why: "runs --driver vagrant", optional: "only --driver vagrant needs it"},
}

// check runs the tool and compares its version with the minimum.
func (t hostTool) check(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, t.argv[0], t.argv[1:]...).CombinedOutput()
	switch {
	case errors.Is(err, exec.ErrNotFound) && t.optional != "":
		return fmt.Sprintf("%s not installed (%s)", t.argv[0], t.optional), nil
	case errors.Is(err, exec.ErrNotFound):
		return "", fmt.Errorf("%s not found (%s): run scripts/setup-host", t.argv[0], t.why)
	case err != nil:
		return "", fmt.Errorf("`%s` failed: %v", strings.Join(t.argv, " "), err)
	}
	return t.compare(string(out))
}

// versionPattern finds a version such as 7.2, 9.0.0 or 0.11.2.
var versionPattern = regexp.MustCompile(`\d+(\.\d+)+`)

// compare reads the tool's version from what argv printed and says
// whether it is new enough.
func (t hostTool) compare(out string) (string, error) {
	var found string
	for _, line := range strings.Split(out, "\n") {
		if _, after, ok := strings.Cut(line, t.marker); ok {
			if found = versionPattern.FindString(after); found != "" {
				break
			}
		}
	}
	v, err := goversion.NewVersion(found)
	if found == "" || err != nil {
		return "", fmt.Errorf("cannot read the version of %s from `%s`", t.name, strings.Join(t.argv, " "))
	}
	if v.LessThan(goversion.Must(goversion.NewVersion(t.min))) {
		return "", fmt.Errorf("%s %s is too old: vlab needs %s or newer (%s); upgrade it", t.name, found, t.min, t.why)
	}
	return fmt.Sprintf("%s (%s or newer needed)", found, t.min), nil
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
