package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"
	"github.com/vlab-dev/vlab/report"
)

// newCommand is `vlab new`: it creates a lab folder, drafting lab.yaml
// from an incident report when one is given.
func newCommand() *cli.Command {
	return &cli.Command{
		Name:            "new",
		Usage:           "create a lab folder, drafted from an incident report",
		ArgsUsage:       "<name>",
		HideHelpCommand: true,
		Description: "Creates LABS/<name>/lab.yaml. With --from-report, the lab's metadata and injects\n" +
			"come from the report's timeline and the report is copied to report.md.\n" +
			"Tag timeline entries with [inject:KIND] to choose the injects; see docs/AUTHORING.md.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "from-report", Usage: "incident report to draft the lab from (wikitext or markdown)", TakesFile: true},
			&cli.StringFlag{Name: "format", Usage: "the report's markup: wikitext or markdown (default: detect)"},
			&cli.StringFlag{Name: "start", Usage: "when the incident's clock starts: a time (17:03, \"2024-03-05 17:03\"), the report line of an entry, or words of it (default: the entry that starts the outage)"},
			&cli.StringFlag{Name: "labs", Usage: "folder holding the labs (default: the global --labs, else labs)", TakesFile: true},
		},
		Action: runNew,
	}
}

func runNew(c *cli.Context) error {
	name, err := newArgs(c)
	if err != nil {
		return err
	}
	created, err := report.NewLab(report.LabOptions{
		LabsDir: labsDir(c),
		Name:    name,
		From:    c.String("from-report"),
		Format:  c.String("format"),
		Start:   c.String("start"),
	})
	if err != nil {
		return err
	}
	return created.WriteText(c.App.Writer)
}

// newArgs returns the lab name; flags written after it were moved in
// front by interspersed.
func newArgs(c *cli.Context) (string, error) {
	switch c.NArg() {
	case 0:
		return "", errors.New("missing lab name; usage: vlab new <name> [--from-report FILE]")
	case 1:
		return c.Args().First(), nil
	}
	return "", fmt.Errorf("one lab name please, got %q; usage: vlab new <name> [--from-report FILE]", c.Args().Slice())
}

// labsDir is new's --labs, else the global --labs (or VLAB_LABS), else
// "labs": new's own flag would otherwise hide the global one.
func labsDir(c *cli.Context) string {
	for _, ctx := range c.Lineage() {
		if ctx != nil && ctx.String("labs") != "" {
			return ctx.String("labs")
		}
	}
	return "labs"
}
