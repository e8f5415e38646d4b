package main

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/labfile"
)

// traineeCommand is what sshd runs, as the forced command of a trainee's
// key (`vlab class keys` writes them), whatever the trainee asked for: it
// runs their request, from SSH_ORIGINAL_COMMAND, only when it is a
// trainee's verb on their own instance (classroom.Admit).
func traineeCommand() *cli.Command {
	return &cli.Command{
		Name:      "trainee",
		Usage:     "run a trainee's request (SSH_ORIGINAL_COMMAND) on their own instance; the forced command of their key",
		ArgsUsage: "<lab> <trainee>",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return errors.New("trainee: usage: vlab trainee <lab> <trainee>, as the forced command of the trainee's key (`vlab class keys`)")
			}
			labName := c.Args().Get(0)
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			r, err := classroom.Admit(e.home, labName, c.Args().Get(1), os.Getenv("SSH_ORIGINAL_COMMAND"), os.Getenv("VLAB_CONNECT"))
			if err != nil {
				return err
			}
			if r.Args[0] == "brief" {
				lab, err := e.lab(labName)
				if err != nil {
					return err
				}
				return classroom.Brief(e.stdout, lab, r.Instance)
			}
			// The request runs as a command line of its own, with the
			// global flags of this one and none of vlab's settings from
			// the session's environment.
			classroom.ClearSettings()
			inner := newApp(c.App.Reader, c.App.Writer, c.App.ErrWriter, e.open)
			line, err := interspersed(inner, r.CommandLine(c.String("labs"), setFlag(c, "connect")))
			if err != nil {
				return err
			}
			return inner.RunContext(c.Context, line)
		},
	}
}

// setFlag is the value of a flag given on the command line or in the
// environment, else "".
func setFlag(c *cli.Context, name string) string {
	if !c.IsSet(name) {
		return ""
	}
	return c.String(name)
}

// classKeysCommand writes the trainees' keys into authorized_keys, each
// allowed to run only `vlab trainee` for its trainee.
func classKeysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "let each trainee in, by their SSH key, to their own instance only (forced commands in authorized_keys)",
		Description: "Reads <trainee>.pub from --keys for each trainee of the class and prints one authorized_keys\n" +
			"line each: the key may run only `vlab trainee <lab> <trainee>`, with no forwarding. With --write,\n" +
			"merges them into that file (the class's own block; other lines are kept). docs/CLASSROOM.md.",
		ArgsUsage: "<lab> --keys DIR [--write FILE]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "keys", Required: true, Usage: "folder holding <trainee>.pub for each trainee"},
			&cli.StringFlag{Name: "write", Usage: "authorized_keys file to merge the lines into (e.g. ~/.ssh/authorized_keys)"},
			&cli.StringFlag{Name: "vlab", Usage: "the vlab binary sshd runs for them", DefaultText: "this one"},
		},
		Action: func(c *cli.Context) error {
			ref, err := oneArg(c, "lab")
			if err != nil {
				return err
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			return classroom.AuthorizeKeys(e.home, labfile.RefName(ref), classroom.KeysOptions{Dir: c.String("keys"), Write: c.String("write"),
				Vlab: c.String("vlab"), Labs: c.String("labs"), Connect: setFlag(c, "connect"), Out: e.stdout, Log: e.stderr})
		},
	}
}
