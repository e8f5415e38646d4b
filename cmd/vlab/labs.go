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
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			found, err := labfile.List(labsDir(c))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				return labfile.WriteJSON(c.App.Writer, found)
			}
			if len(found) == 0 {
				fmt.Fprintf(c.App.ErrWriter, "no labs in %s; `vlab new <name>` starts one\n", labsDir(c))
				return nil
			}
			return labfile.WriteTable(c.App.Writer, found)
		},
	}
}
