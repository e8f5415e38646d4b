package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm"
	"github.com/vlab-dev/vlab/vm/drivers"
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
	open   opener
}

// opener turns the driver configuration a command asks for into what the
// instance manager opens: the configuration itself, or a test's fake.
type opener func(cfg drivers.Config) instance.Opener

// realDrivers opens the drivers cfg names.
func realDrivers(cfg drivers.Config) instance.Opener { return cfg }

// openerKey holds the app's opener in its Metadata.
const openerKey = "opener"

func newEnv(c *cli.Context) (*env, error) {
	h, err := instance.DefaultHome()
	if err != nil {
		return nil, err
	}
	open, _ := c.App.Metadata[openerKey].(opener)
	if open == nil {
		open = realDrivers
	}
	return &env{c: c, home: h, stdout: c.App.Writer, stderr: c.App.ErrWriter, open: open}, nil
}

func (e *env) verbose() io.Writer {
	if e.c.Bool("verbose") {
		return e.stderr
	}
	return nil
}

func (e *env) store() *images.Store { return &images.Store{Dir: e.home.Images()} }

// drivers is the configuration of driver name on libvirt URI uri.
func (e *env) drivers(name, uri string) drivers.Config {
	return drivers.Config{Name: name, URI: uri, Socket: os.Getenv("VLAB_LIBVIRT_SOCKET"),
		Dir: e.home.Dir, Images: e.store(), Project: e.home.VagrantProject,
		Progress: e.stderr, Verbose: e.verbose()}
}

// manager wires the instance manager to its driver and the image store.
func (e *env) manager() *instance.Manager { return e.managerFor("") }

// managerFor is manager for commands on instance id, which use the driver
// and host the instance was made with unless --driver says otherwise.
func (e *env) managerFor(id string) *instance.Manager {
	st, err := e.recorded(id)
	name := e.driverName(id, st)
	uri, uerr := e.connectURI(id, st)
	cfg := e.drivers(name, uri)
	open := e.open(cfg)
	if err = errors.Join(err, uerr); err != nil {
		open = instance.OpenFunc(func(context.Context) (vm.Driver, error) { return nil, err })
	}
	return &instance.Manager{
		Home:       e.home,
		Images:     cfg.Images,
		Progress:   e.stderr,
		Verbose:    e.verbose(),
		Driver:     open,
		DriverName: name,
		Connect:    uri,
		Accel:      cfg,
		NoStandby:  !e.c.Bool("standby"),
		Standbys:   e.spawner(),
	}
}

// recorded is the state of instance id; nil for no instance (id empty) or
// a new one. The manager reads it again under the instance's lock.
func (e *env) recorded(id string) (*instance.State, error) {
	if id == "" {
		return nil, nil
	}
	dir, err := e.home.Instance(id)
	if err != nil {
		return nil, err
	}
	st, err := instance.LoadState(dir)
	if err != nil {
		return nil, nil // a new instance goes where the flags say
	}
	return st, nil
}

// connectURI is the libvirt URI for commands on instance id, recorded as
// st: the host an existing instance runs on, else --connect (or
// VLAB_CONNECT). A --connect naming another host than the instance's is
// refused: acting there could remove another instance's disks and lose
// this one's records.
func (e *env) connectURI(id string, st *instance.State) (string, error) {
	flag := e.c.String("connect")
	if st == nil {
		return flag, nil
	}
	switch {
	case st.Connect != "" && e.c.IsSet("connect") && flag != st.Connect:
		return "", fmt.Errorf("instance %s runs on %s, not %s: drop --connect (and VLAB_CONNECT) for it", id, st.Connect, flag)
	case st.Connect != "":
		return st.Connect, nil
	case libvirt.IsRemote(flag):
		return "", fmt.Errorf("instance %s runs on this machine, not %s: drop --connect (and VLAB_CONNECT) for it", id, flag)
	}
	return flag, nil
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
