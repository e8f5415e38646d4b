package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/instance"
)

// standbyFlag turns off the paused standby copy of each VM that makes a
// reset a resume: an admin short of memory on a shared host trades reset
// speed for half the memory per trainee.
var standbyFlag = &cli.BoolFlag{Name: "standby", Value: true, EnvVars: []string{"VLAB_STANDBY"},
	Usage: "keep a paused copy of each VM's golden state ready, so that a reset is a resume (twice the memory)"}

// warmFlag turns off the warm-up of standbys (Manager.NoWarm), e.g. to
// measure what it gives.
var warmFlag = &cli.BoolFlag{Name: "warm", Value: true, EnvVars: []string{"VLAB_WARM"},
	Usage: "run each standby once, privately, before a reset needs it: under emulation its first login after a reset is then fast"}

// standbyCommand prepares an instance's standbys; reset and up start it in
// the background. It is hidden: nobody needs to type it.
func standbyCommand() *cli.Command {
	return &cli.Command{
		Name:      "standby",
		Usage:     "prepare the paused standby copies of a lab's VMs (reset and up start this in the background)",
		ArgsUsage: "<lab>",
		Hidden:    true,
		// The argument is the instance ID: VLAB_INSTANCE, set for the
		// command that started this one, must not rename it.
		Flags: []cli.Flag{&cli.StringFlag{Name: "instance", Hidden: true},
			&cli.DurationFlag{Name: "delay", Usage: "wait this long before starting"},
			&cli.BoolFlag{Name: "share", Usage: "then serve the standbys' warm-up logins (and one to each running VM) to the instance's other commands until their VMs end"}},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error {
			// The process ends with the budget whatever it is blocked in (a
			// libvirt call or a disconnect on a dead connection), so that
			// the instance's lock is free before a waiting command gives up.
			overrun := c.Duration("delay") + standbyBudget + standbyGrace
			t := time.AfterFunc(overrun, func() {
				fmt.Fprintf(c.App.ErrWriter, "vlab: standby of %s: still busy %s after it started; the process ends so that the instance's lock is free\n", id, overrun)
				os.Exit(2)
			})
			m.Share = c.Bool("share")
			if err := m.PrepareStandbyWithin(c.Context, id, c.Duration("delay"), standbyBudget); err != nil {
				t.Stop()
				return err
			}
			// The warmed standbys' logins serve the commands after the
			// reset that takes them over, as long as their VMs run.
			t.Stop()
			m.ServeShared(c.Context)
			return nil
		}),
	}
}

// standbyBudget is instance.StandbyBudget; a test shortens it.
var standbyBudget = instance.StandbyBudget

// standbyGrace is how long past its budget the standby's process may take
// to end on its own (closing its connection) before it is ended.
const standbyGrace = 10 * time.Second

// standbyDelay is how long the background preparation waits before it
// starts: restoring the next standby loads the host for a second or two,
// and the trainee's first commands after a reset should not share it
// (measured: the first login 0.05-0.1 s slower without the delay). From a
// warm standby the first command is done in 0.3 s; a shorter delay has the
// next standby ready (and warm) within 5 s of a reset.
const standbyDelay = time.Second

// spawner has `vlab standby <id>` started detached from this process and
// its terminal, logging to the instance's folder. After standbyDelay it
// takes the instance's lock, then works while the trainee does.
func (e *env) spawner() instance.Spawner {
	exe, err := os.Executable()
	if err != nil {
		return instance.Spawner{} // says it cannot start a standby
	}
	return instance.Spawner{Home: e.home,
		Argv: []string{exe, "--verbose", "--warm=" + strconv.FormatBool(e.c.Bool("warm")), "standby", "--share", "--delay", standbyDelay.String()},
		Env:  append(os.Environ(), "VLAB_HOME="+e.home.Dir, runAsCLI+"=1")}
}

// runAsCLI tells a test binary started by the spawner to act as vlab.
const runAsCLI = "VLAB_RUN_AS_CLI"
