package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "show everything guests and tools print"},
		&cli.StringFlag{Name: "labs", Value: "labs", EnvVars: []string{"VLAB_LABS"}, Usage: "folder holding the incident labs"},
		&cli.StringFlag{Name: "connect", Value: libvirt.DefaultURI, EnvVars: []string{"VLAB_CONNECT"}, Usage: "libvirt URI"},
		standbyFlag,
	}
}

// env is what a command needs from its surroundings, built from flags.
type env struct {
	c      *cli.Context
	home   instance.Home
	stdout io.Writer
	stderr io.Writer
}

func newEnv(c *cli.Context) (*env, error) {
	h, err := instance.DefaultHome()
	if err != nil {
		return nil, err
	}
	return &env{c: c, home: h, stdout: c.App.Writer, stderr: c.App.ErrWriter}, nil
}

func (e *env) verbose() io.Writer {
	if e.c.Bool("verbose") {
		return e.stderr
	}
	return nil
}

func (e *env) store() *images.Store { return &images.Store{Dir: e.home.Images()} }

// manager wires the instance manager to its driver and the image store.
func (e *env) manager() *instance.Manager { return e.managerFor("") }

// managerFor is manager for commands on instance id, which use the driver
// the instance was made with unless --driver says otherwise.
func (e *env) managerFor(id string) *instance.Manager {
	name := e.driverName(id)
	uri, uerr := e.connectURI(id)
	connect := e.connector(name, uri)
	if uerr != nil {
		connect = func(context.Context) (vm.Driver, error) { return nil, uerr }
	}
	return &instance.Manager{
		Home:         e.home,
		Images:       e.store(),
		Progress:     e.stderr,
		Verbose:      e.verbose(),
		Driver:       connect,
		DriverName:   name,
		Connect:      uri,
		Accel:        func(ctx context.Context) (vm.Accel, error) { return e.accel(ctx, uri) },
		NoStandby:    !e.c.Bool("standby"),
		StartStandby: e.spawnStandby,
	}
}

// connectURI is the libvirt URI for commands on instance id: the host an
// existing instance runs on, else --connect (or VLAB_CONNECT). A --connect
// naming another host than the instance's is refused: acting there could
// remove another instance's disks and lose this one's records.
func (e *env) connectURI(id string) (string, error) {
	flag := e.c.String("connect")
	if id == "" {
		return flag, nil
	}
	dir, err := e.home.Instance(id)
	if err != nil {
		return "", err
	}
	st, err := instance.LoadState(dir)
	if err != nil {
		return flag, nil // a new instance goes where --connect says
	}
	remote := func(uri string) bool { return strings.HasPrefix(uri, "qemu+ssh:") }
	switch {
	case st.Connect != "" && e.c.IsSet("connect") && flag != st.Connect:
		return "", fmt.Errorf("instance %s runs on %s, not %s: drop --connect (and VLAB_CONNECT) for it", id, st.Connect, flag)
	case st.Connect != "":
		return st.Connect, nil
	case remote(flag):
		return "", fmt.Errorf("instance %s runs on this machine, not %s: drop --connect (and VLAB_CONNECT) for it", id, flag)
	}
	return flag, nil
}

// libvirtDriver connects to libvirtd at uri.
func (e *env) libvirtDriver(ctx context.Context, uri string) (*libvirt.Driver, error) {
	return libvirt.Connect(ctx, e.libvirtOptions(uri))
}

// libvirtOptions connects to uri; VLAB_LIBVIRT_SOCKET overrides the socket
// path (a libvirtd started by hand, or a test's).
func (e *env) libvirtOptions(uri string) libvirt.Options {
	return libvirt.Options{URI: uri, Socket: os.Getenv("VLAB_LIBVIRT_SOCKET")}
}

// accel decides KVM or TCG, saying so once when KVM is not used.
func (e *env) accel(ctx context.Context, uri string) (vm.Accel, error) {
	if strings.HasPrefix(uri, "qemu+ssh:") && os.Getenv("VLAB_ACCEL") == "" {
		// The probe below boots QEMU here; a remote host is asked instead.
		d, err := e.libvirtDriver(ctx, uri)
		if err != nil {
			return "", err
		}
		defer d.Close()
		a, why := d.HostAccel(ctx)
		if a == vm.AccelTCG {
			fmt.Fprintf(e.stderr, "vlab: warning: using TCG software emulation, not KVM (%s)\n", why)
		}
		return a, nil
	}
	p := vm.AccelProbe{CacheFile: filepath.Join(e.home.Dir, "accel.json")}
	if imgs, _ := e.store().List(); len(imgs) > 0 {
		p.Kernel = imgs[0].Kernel
	}
	r, err := p.Detect(ctx)
	if err != nil {
		return "", err
	}
	if r.Accel == vm.AccelTCG {
		fmt.Fprintf(e.stderr, "vlab: warning: using TCG software emulation, not KVM (%s); set VLAB_ACCEL=kvm to force KVM\n", r.Reason)
	}
	return r.Accel, nil
}

// lab loads the lab named by a command argument: a folder under --labs, or
// a path to a lab folder or lab.yaml.
func (e *env) lab(ref string) (*labfile.Lab, error) {
	if ref == "" {
		return nil, errors.New("name a lab: `vlab labs` lists them")
	}
	path, err := labfile.Resolve(e.c.String("labs"), ref)
	if err != nil {
		return nil, err
	}
	return labfile.Load(path)
}

// instanceID turns `<lab>` or `<lab> --instance x` into an instance ID,
// the same way for every command: --instance (or VLAB_INSTANCE), else the
// name of the lab the argument refers to; refused unless a valid ID.
func instanceID(c *cli.Context, ref string) (string, error) {
	id := c.String("instance")
	if id == "" {
		id = labfile.RefName(ref)
	}
	return id, instance.CheckID(id)
}

var instanceFlag = &cli.StringFlag{Name: "instance", Aliases: []string{"i"}, EnvVars: []string{"VLAB_INSTANCE"},
	Usage: "name of the instance, to run one lab several times on a host (default: the lab's name)"}

// hintFor names the next step for errors the user can act on.
func hintFor(err error) string {
	switch {
	case errors.Is(err, vm.ErrUnavailable) && strings.Contains(err.Error(), "libvirt host "):
		return "is the libvirt host up, and does `ssh` to it work from here? `vlab --connect URI doctor` checks it"
	case errors.Is(err, vm.ErrUnavailable):
		return "is libvirtd running? `scripts/setup-host` installs and starts it; `vlab doctor` checks the host"
	case errors.Is(err, instance.ErrNotFound):
		return "`vlab status` lists the running labs; `vlab up <lab>` starts one"
	case errors.Is(err, os.ErrPermission):
		return "vlab needs access to libvirt and its image folder: run it as root or as a member of the libvirt group"
	}
	return ""
}

// oneArg returns the command's single required argument.
func oneArg(c *cli.Context, what string) (string, error) {
	if c.NArg() < 1 {
		return "", fmt.Errorf("%s: missing %s; usage: vlab %s", c.Command.Name, what, c.Command.ArgsUsage)
	}
	return c.Args().First(), nil
}
