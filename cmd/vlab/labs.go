package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/internal/termtext"
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
				return printLabsJSON(c.App.Writer, found)
			}
			if len(found) == 0 {
				fmt.Fprintf(c.App.ErrWriter, "no labs in %s; `vlab new <name>` starts one\n", labsDir(c))
				return nil
			}
			return printLabs(c.App.Writer, found)
		},
	}
}

// printLabs writes the table of `vlab labs`; a lab's title and folder
// name are the lab author's text, so they are sanitised.
func printLabs(out io.Writer, found []labfile.Entry) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTITLE\tDIFFICULTY\tDURATION")
	for _, f := range found {
		name := termtext.Line(f.Name)
		if f.Err != nil {
			fmt.Fprintf(w, "%s\t(invalid: `vlab validate %s` says why)\t\t\n", name, name)
			continue
		}
		title := strings.Join(strings.Fields(termtext.Line(f.Lab.Title)), " ")
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, title, dash(f.Lab.Difficulty), dash(duration(f.Lab)))
	}
	return w.Flush()
}

// labJSON is one lab as `vlab labs --json` prints it.
type labJSON struct {
	Name       string `json:"name"`
	Title      string `json:"title,omitempty"`
	Difficulty string `json:"difficulty,omitempty"`
	Duration   string `json:"duration,omitempty"`
	// Problem is set when the lab does not load.
	Problem string `json:"problem,omitempty"`
}

func printLabsJSON(w io.Writer, found []labfile.Entry) error {
	out := make([]labJSON, len(found))
	for i, f := range found {
		out[i].Name = f.Name
		if f.Err != nil {
			out[i].Problem = f.Err.Error()
			continue
		}
		out[i].Title, out[i].Difficulty = strings.Join(strings.Fields(f.Lab.Title), " "), f.Lab.Difficulty
		out[i].Duration = duration(f.Lab)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func duration(lab *labfile.Lab) string {
	if lab.Duration <= 0 {
		return ""
	}
	return incident.Short(lab.Duration.D())
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
