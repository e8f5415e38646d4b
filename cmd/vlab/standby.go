package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/instance"
)

// standbyFlag turns off the paused standby copy of each VM that makes a
// reset a resume: an admin short of memory on a shared host trades reset
// speed for half the memory per trainee.
var standbyFlag = &cli.BoolFlag{Name: "standby", Value: true, EnvVars: []string{"VLAB_STANDBY"},
	Usage: "keep a paused copy of each VM's golden state ready, so that a reset is a resume (twice the memory)"}

// standbyCommand prepares an instance's standbys; reset and up start it in
// the background. It is hidden: nobody needs to type it.
func standbyCommand() *cli.Command {
	return &cli.Command{
		Name:      "standby",
		Usage:     "prepare the paused standby copies of a lab's VMs (reset and up start this in the background)",
		ArgsUsage: "<lab>",
		Hidden:    true,
		Flags: []cli.Flag{instanceFlag,
			&cli.DurationFlag{Name: "delay", Usage: "wait this long before starting"}},
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, ref, id string) error {
			select {
			case <-time.After(c.Duration("delay")):
			case <-c.Context.Done():
				return c.Context.Err()
			}
			return m.PrepareStandby(c.Context, id)
		}),
	}
}

// standbyDelay is how long the background preparation waits before it
// starts: restoring the next standby loads the host for a second or two,
// and the trainee's first commands after a reset should not share it
// (measured: the first login 0.05-0.1 s slower without the delay).
const standbyDelay = 2 * time.Second

// spawnStandby starts `vlab standby <id>` detached from this process and
// its terminal, logging to the instance's folder. After standbyDelay it
// takes the instance's lock, then works while the trainee does.
func (e *env) spawnStandby(id string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	dir, err := e.home.Instance(id)
	if err != nil {
		return err
	}
	log, err := os.OpenFile(filepath.Join(dir, instance.StandbyLog), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(exe, "--verbose", "standby", "--delay", standbyDelay.String(), "--instance", id, id)
	cmd.Env = append(os.Environ(), "VLAB_HOME="+e.home.Dir, runAsCLI+"=1")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s standby: %w", exe, err)
	}
	return cmd.Process.Release()
}

// runAsCLI tells a test binary started by spawnStandby to act as vlab.
const runAsCLI = "VLAB_RUN_AS_CLI"
