package main

import (
	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/labfile"
)

func previewCommand() *cli.Command {
	return &cli.Command{
		Name:      "preview",
		Usage:     "show a lab's briefing and every inject, without an instance (for authors and trainers)",
		ArgsUsage: "<lab>",
		Description: "Live injects show the command they would run in their VM; nothing runs.\n" +
			"`vlab inject --list` lists only what a trainee has revealed.",
		Action: onLab(func(e *env, lab *labfile.Lab) error {
			return incident.Preview(e.stdout, lab, incident.TerminalOptions(e.stdout))
		}),
	}
}

// onLab wraps the action of a command that reads a lab but needs no
// instance: it loads the lab its one argument names.
func onLab(fn func(e *env, lab *labfile.Lab) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		ref, err := oneArg(c, "lab")
		if err != nil {
			return err
		}
		e, err := newEnv(c)
		if err != nil {
			return err
		}
		lab, err := e.lab(ref)
		if err != nil {
			return err
		}
		return fn(e, lab)
	}
}
