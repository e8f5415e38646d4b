package main

import (
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/vlab-dev/vlab/instance"
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
		Action: onInstance(func(c *cli.Context, e *env, m *instance.Manager, _, id string) error {
			inst, err := m.Open(id)
			if err != nil {
				return err
			}
			vmName, words, err := inst.Target(c.Args().Tail())
			if err != nil {
				return err
			}
			s, err := inst.Dial(c.Context, vmName)
			if err != nil {
				return err
			}
			defer s.Close()
			code, err := runSSH(c, s, strings.Join(words, " "))
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code: code}
			}
			return nil
		}),
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
