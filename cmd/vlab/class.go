package main

import (
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/labfile"
)

func classCommand() *cli.Command {
	return &cli.Command{
		Name:  "class",
		Usage: "a room of trainees on this host (or several: class up --hosts), each in an instance of the lab of their own",
		Subcommands: []*cli.Command{
			{
				Name:      "up",
				Usage:     "bring up an instance for each trainee: the first provisions, the others start from its golden state",
				ArgsUsage: "<lab> --trainees NAMES|FILE",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "trainees", Required: true, Usage: "names separated by commas, or a file (a path with / or .) with one name a line"},
					&cli.IntFlag{Name: "parallel", Usage: "instances brought up at once after the first", DefaultText: "the host's CPUs per VM of the lab"},
					&cli.BoolFlag{Name: "force", Usage: "start even when the capacity check says the room does not fit"},
					&cli.DurationFlag{Name: "boot-timeout", Value: 5 * time.Minute, Usage: "how long a booting guest may print nothing on its console before vlab gives up on its SSH (3 times that at most in all)"},
					&cli.StringFlag{Name: "hosts", Usage: "spread the new instances over these libvirt hosts (`URI,URI`), each where the most memory is left"},
				},
				Action: onClass(func(c *cli.Context, e *env, cl *classroom.Class, ref string) error {
					lab, err := e.lab(ref)
					if err != nil {
						return err
					}
					ts, err := classroom.ParseTrainees(lab.Name, c.String("trainees"))
					if err != nil {
						return err
					}
					var hosts []string
					if c.IsSet("hosts") {
						if hosts, err = classroom.ParseHosts(c.String("hosts")); err != nil {
							return err
						}
					}
					return cl.Up(c.Context, lab, classroom.UpOptions{Trainees: ts, Force: c.Bool("force"), BootTimeout: c.Duration("boot-timeout"), Hosts: hosts})
				}),
			},
			{
				Name:      "status",
				Usage:     "each trainee: instance state, attempts, injects revealed, checks, resolved",
				ArgsUsage: "<lab>",
				Flags:     []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: onClass(func(c *cli.Context, e *env, cl *classroom.Class, ref string) error {
					rows, err := cl.Status(c.Context, labfile.RefName(ref))
					if err != nil {
						return err
					}
					return e.printResult(c, rows, func(w io.Writer) error { return classroom.WriteStatus(w, e.stderr, rows, time.Now()) })
				}),
			},
			{
				Name:      "reset",
				Usage:     "start a trainee (every trainee without one named) over from the golden state",
				ArgsUsage: "<lab> [trainee]",
				Action: onClass(func(c *cli.Context, e *env, cl *classroom.Class, ref string) error {
					return cl.Reset(c.Context, labfile.RefName(ref), c.Args().Get(1))
				}),
			},
			{
				Name:      "down",
				Usage:     "stop every trainee's VMs, keeping them",
				ArgsUsage: "<lab>",
				Action: onClass(func(c *cli.Context, e *env, cl *classroom.Class, ref string) error {
					return cl.Down(c.Context, labfile.RefName(ref))
				}),
			},
			{
				Name:      "destroy",
				Usage:     "remove every trainee's instance; the host keeps the lab's golden state",
				ArgsUsage: "<lab>",
				Action: onClass(func(c *cli.Context, e *env, cl *classroom.Class, ref string) error {
					return cl.Destroy(c.Context, labfile.RefName(ref))
				}),
			},
			classKeysCommand(),
			classWebCommand(),
		},
	}
}

// onClass wraps the action of a class verb: it reads the lab argument
// and builds the class over the command's instance settings.
func onClass(fn func(c *cli.Context, e *env, cl *classroom.Class, ref string) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		ref, err := oneArg(c, "lab")
		if err != nil {
			return err
		}
		if c.NArg() > 2 || (c.NArg() > 1 && c.Command.Name != "reset") {
			return fmt.Errorf("class %s: unexpected %q; usage: vlab class %s %s", c.Command.Name, c.Args().Get(c.NArg()-1), c.Command.Name, c.Command.ArgsUsage)
		}
		e, err := newEnv(c)
		if err != nil {
			return err
		}
		cl := &classroom.Class{Settings: e.settings(), Log: e.stderr, Parallel: c.Int("parallel")}
		return fn(c, e, cl, ref)
	}
}
