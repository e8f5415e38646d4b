package main

import (
	"encoding/json"
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
		warmFlag,
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
// instance manager opens: a test's fake; nil (in production) opens the
// configuration itself (instance.Settings.Open).
type opener func(cfg drivers.Config) instance.Opener

// openerKey holds the app's opener in its Metadata.
const openerKey = "opener"

func newEnv(c *cli.Context) (*env, error) {
	h, err := instance.DefaultHome()
	if err != nil {
		return nil, err
	}
	open, _ := c.App.Metadata[openerKey].(opener)
	return &env{c: c, home: h, stdout: c.App.Writer, stderr: c.App.ErrWriter, open: open}, nil
}

// verboseKey holds the app's --verbose writer in its Metadata.
const verboseKey = "verbose"

// verbose is where everything guests and tools print goes with --verbose:
// the terminal, through a writer that cleans what is not vlab's own
// (escape sequences could set the clipboard or rename the window).
func (e *env) verbose() io.Writer {
	if !e.c.Bool("verbose") {
		return nil
	}
	if w, ok := e.c.App.Metadata[verboseKey].(io.Writer); ok {
		return w
	}
	return e.stderr
}

func (e *env) store() *images.Store { return &images.Store{Dir: e.home.Images()} }

// settings are the instance settings the flags and environment chose.
func (e *env) settings() instance.Settings {
	return instance.Settings{Home: e.home, Images: e.store(), Driver: e.c.String("driver"),
		Connect: e.c.String("connect"), ConnectSet: e.c.IsSet("connect"), Socket: os.Getenv("VLAB_LIBVIRT_SOCKET"),
		NoStandby: !e.c.Bool("standby"), NoWarm: !e.c.Bool("warm"), Standbys: e.spawner(), Progress: e.stderr, Verbose: e.verbose(), Open: e.open}
}

// managerFor is the instance manager for commands on instance id.
func (e *env) managerFor(id string) *instance.Manager { return e.settings().ManagerFor(id) }

// drivers is the configuration of driver name on libvirt URI uri.
func (e *env) drivers(name, uri string) drivers.Config { return e.settings().Drivers(name, uri) }

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

// printResult prints v as indented JSON with --json, else as text.
func (e *env) printResult(c *cli.Context, v any, text func(io.Writer) error) error {
	if c.Bool("json") {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return text(e.stdout)
}
