package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/labfile"
)

func labsCommand() *cli.Command {
	return &cli.Command{
		Name:  "labs",
		Usage: "list the incident labs under --labs",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			found, err := findLabs(labsDir(c))
			if err != nil {
				return err
			}
			if c.Bool("json") {
				enc := json.NewEncoder(c.App.Writer)
				enc.SetIndent("", "  ")
				return enc.Encode(found)
			}
			if len(found) == 0 {
				fmt.Fprintf(c.App.ErrWriter, "no labs in %s; `vlab new <name>` starts one\n", labsDir(c))
				return nil
			}
			w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tTITLE\tDIFFICULTY\tDURATION")
			for _, f := range found {
				if f.Problem != "" {
					fmt.Fprintf(w, "%s\t(invalid: `vlab validate %s` says why)\t\t\n", f.Name, f.Name)
					continue
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Name, f.Title, dash(f.Difficulty), dash(f.Duration))
			}
			return w.Flush()
		},
	}
}

// labEntry is one lab folder as `vlab labs` lists it.
type labEntry struct {
	Name       string `json:"name"`
	Title      string `json:"title,omitempty"`
	Difficulty string `json:"difficulty,omitempty"`
	Duration   string `json:"duration,omitempty"`
	// Problem is set when the lab does not load.
	Problem string `json:"problem,omitempty"`
	path    string
}

// findLabs loads every folder of dir holding a lab.yaml, sorted by name.
func findLabs(dir string) ([]labEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list labs: %w", err)
	}
	found := []labEntry{}
	for _, ent := range ents {
		path := filepath.Join(dir, ent.Name(), labfile.FileName)
		if _, err := os.Stat(path); !ent.IsDir() || errors.Is(err, os.ErrNotExist) {
			continue
		}
		e := labEntry{Name: ent.Name(), path: path}
		if lab, err := labfile.Load(path); err != nil {
			e.Problem = err.Error()
		} else {
			e.Title, e.Difficulty = strings.Join(strings.Fields(lab.Title), " "), lab.Difficulty
			if lab.Duration > 0 {
				e.Duration = incident.Short(lab.Duration.D())
			}
		}
		found = append(found, e)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	return found, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
