package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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
			&cli.StringFlag{Name: "labs", Usage: "folder holding the labs (default: the global --labs, else labs)", TakesFile: true},
		},
		Action: runNew,
	}
}

func runNew(c *cli.Context) error {
	if slices.ContainsFunc(c.Args().Slice(), func(a string) bool { return a == "--help" || a == "-h" }) {
		return cli.ShowSubcommandHelp(c)
	}
	name, err := newArgs(c)
	if err != nil {
		return err
	}
	created, err := report.NewLab(report.LabOptions{
		LabsDir: labsDir(c),
		Name:    name,
		From:    c.String("from-report"),
		Format:  c.String("format"),
	})
	if err != nil {
		return err
	}
	w := c.App.Writer
	fmt.Fprintf(w, "created %s\n", created.File)
	if r := created.Report; r != nil {
		fmt.Fprintf(w, "%d injects from %d timeline entries of a %s report", created.Injects, len(r.Entries), r.Format)
		if !r.Tagged {
			fmt.Fprint(w, " (no [inject:KIND] tags: every entry, kinds guessed)")
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "next: fill in the TODOs in lab.yaml, then run `vlab validate %s`\n", name)
	return nil
}

// newArgs returns the lab name, reading flags written after it
// ("vlab new name --from-report x"), which the cli package leaves as
// arguments.
func newArgs(c *cli.Context) (string, error) {
	args := c.Args().Slice()
	var name string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			if name != "" {
				return "", fmt.Errorf("one lab name please, got %q and %q; usage: vlab new <name> [--from-report FILE]", name, a)
			}
			name = a
			continue
		}
		flag, value, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !hasFlag(c.Command, flag) {
			return "", fmt.Errorf("unknown flag %s; usage: vlab new <name> [--from-report FILE] [--format wikitext|markdown] [--labs DIR]", a)
		}
		if !ok {
			if i+1 == len(args) {
				return "", fmt.Errorf("flag %s needs a value; usage: vlab new <name> [--from-report FILE]", a)
			}
			i++
			value = args[i]
		}
		if err := c.Set(flag, value); err != nil {
			return "", fmt.Errorf("flag %s: %w", a, err)
		}
	}
	if name == "" {
		return "", errors.New("missing lab name; usage: vlab new <name> [--from-report FILE]")
	}
	return name, nil
}

func hasFlag(cmd *cli.Command, name string) bool {
	for _, f := range cmd.Flags {
		if slices.Contains(f.Names(), name) {
			return true
		}
	}
	return false
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
