package main

import (
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/vlab-dev/vlab/provision"
)

func sshCommand() *cli.Command {
	return &cli.Command{
		Name:      "ssh",
		Usage:     "open a shell in a lab VM, or run one command there",
		ArgsUsage: "<lab> [vm] [-- command...]",
		Description: "Without a command, opens an interactive shell with a terminal. With one, runs it\n" +
			"and exits with its exit status. The VM defaults to the lab's first VM.",
		Flags: []cli.Flag{instanceFlag},
		Action: func(c *cli.Context) error {
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
			inst, err := m.Open(id)
			if err != nil {
				return err
			}
			rest := c.Args().Tail()
			if len(inst.State.VMs) == 0 {
				return fmt.Errorf("instance %s has no VMs yet: run `vlab up %s` to finish bringing it up", inst.State.ID, inst.State.Lab)
			}
			vmName := inst.State.VMNames()[0]
			if len(rest) > 0 && rest[0] != "--" {
				if !slices.Contains(inst.State.VMNames(), rest[0]) {
					return fmt.Errorf("lab %s has no VM %q (it has %s); put the command after --", inst.State.ID, rest[0], strings.Join(inst.State.VMNames(), ", "))
				}
				vmName, rest = rest[0], rest[1:]
			}
			if len(rest) > 0 && rest[0] == "--" {
				rest = rest[1:]
			}
			s, err := inst.Dial(c.Context, vmName)
			if err != nil {
				return err
			}
			defer s.Close()
			cmd := strings.Join(rest, " ")
			code, err := runSSH(c, s, cmd)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code: code}
			}
			return nil
		},
	}
}

// runSSH runs cmd (a shell when empty), with a pty when stdin is a terminal.
func runSSH(c *cli.Context, s *provision.SSH, cmd string) (int, error) {
	in, isFile := c.App.Reader.(*os.File)
	if !isFile || !term.IsTerminal(int(in.Fd())) {
		if cmd == "" {
			cmd = "exec sh -l"
		}
		return s.Run(c.Context, cmd, c.App.Reader, c.App.Writer, c.App.ErrWriter)
	}
	fd := int(in.Fd())
	w, h, _ := term.GetSize(fd)
	old, err := term.MakeRaw(fd)
	if err != nil {
		return -1, err
	}
	defer term.Restore(fd, old)
	resize := make(chan [2]int, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	defer signal.Stop(winch)
	go func() {
		for range winch {
			if w, h, err := term.GetSize(fd); err == nil {
				select {
				case resize <- [2]int{w, h}:
				default:
				}
			}
		}
	}()
	t := provision.Terminal{Term: os.Getenv("TERM"), Width: w, Height: h, Resize: resize}
	return s.Interactive(c.Context, cmd, t, in, c.App.Writer, c.App.ErrWriter)
}
