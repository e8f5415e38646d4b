package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/labfile"
)

func labsCommand() *cli.Command {
	return &cli.Command{
		Name:  "labs",
		Usage: "list the incident labs under --labs",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"},
			&cli.BoolFlag{Name: "trainer", Usage: "also show each lab's cause (spoils the labs for a trainee)"}},
		Action: func(c *cli.Context) error {
			found, err := labfile.List(labsDir(c))
			o := labfile.ListOptions{Trainer: c.Bool("trainer")}
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return labfile.WriteJSON(c.App.Writer, found, o)
			}
			if len(found) == 0 {
				fmt.Fprintf(c.App.ErrWriter, "no labs in %s; `vlab new <name>` starts one\n", labsDir(c))
				return nil
			}
			return labfile.WriteTable(c.App.Writer, found, o)
		},
	}
}
