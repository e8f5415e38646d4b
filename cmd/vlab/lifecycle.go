package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
)

func upCommand() *cli.Command {
	return &cli.Command{
		Name:      "up",
		Usage:     "bring up an incident lab at its starting point",
		ArgsUsage: "<lab>",
		Flags: []cli.Flag{instanceFlag,
			&cli.BoolFlag{Name: "fresh", Usage: "provision again even when a golden state exists"},
			&cli.DurationFlag{Name: "boot-timeout", Value: 5 * time.Minute, Usage: "how long a booting guest may print nothing on its console before vlab gives up on its SSH (3 times that at most in all)"},
			driverFlag,
		},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error {
			lab, err := e.lab(ref)
			if err != nil {
				return err
			}
			p, err := e.settings().Provisioner(id)
			if err != nil {
				return err
			}
			m.BootTimeout = c.Duration("boot-timeout")
			start := time.Now()
			inst, err := incident.Up(c.Context, m, lab, instance.UpOptions{ID: id, Fresh: c.Bool("fresh"), Provisioner: p})
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "%s is up (%.0fs)\n", inst.State.ID, time.Since(start).Seconds())
			return incident.RenderStart(e.stdout, lab, inst.State.ID, inst.State.TraineeVMNames(), incident.TerminalOptions(e.stdout))
		}),
	}
}

func resetCommand() *cli.Command {
	return &cli.Command{
		Name:      "reset",
		Usage:     "return every VM of a lab to its golden state",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{instanceFlag},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error {
			_, err := incident.Reset(c.Context, m, id)
			return err
		}),
	}
}

func downCommand() *cli.Command {
	return &cli.Command{
		Name:      "down",
		Usage:     "stop a lab's VMs, keeping them and their golden state",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{instanceFlag},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error {
			return m.Down(c.Context, id)
		}),
	}
}

func destroyCommand() *cli.Command {
	return &cli.Command{
		Name:      "destroy",
		Usage:     "remove a lab instance: VMs, disks, saved states, keys and records",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{instanceFlag},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error {
			dir, err := e.home.Instance(id)
			if err != nil {
				return err
			}
			if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
				// Not an error (a rerun after an interrupted destroy), but
				// say so: a wrong VLAB_HOME looks just like this.
				fmt.Fprintf(e.stderr, "no instance %s in %s: nothing to destroy\n", id, e.home.Dir)
				return nil
			}
			if err := m.Destroy(c.Context, id); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "%s destroyed\n", id)
			return nil
		}),
	}
}

// onInstance wraps the action of a command on one lab instance: it reads
// the lab argument and the instance ID (validated), builds the environment
// and the manager for the instance, and closes the manager's connection
// after.
func onInstance(fn func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		ref, err := oneArg(c, "lab")
		if err != nil {
			return err
		}
		e, err := newEnv(c)
		if err != nil {
			return err
		}
		id, err := instanceID(c, ref)
		if err != nil {
			return err
		}
		m := e.managerFor(id)
		defer m.Close()
		return fn(c, e, m, ref, id)
	}
}
