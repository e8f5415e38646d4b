package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/instance"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show lab instances and their VMs",
		ArgsUsage: "[lab]",
		Flags:     []cli.Flag{instanceFlag, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: func(c *cli.Context) error {
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			var ids []string
			if c.NArg() > 0 || c.String("instance") != "" {
				id, err := instanceID(c, c.Args().First())
				if err != nil {
					return err
				}
				ids = []string{id}
			} else if ids, err = e.home.IDs(); err != nil {
				return err
			}
			// Each instance through its own driver and host.
			var rows []instance.VMStatus
			for _, id := range ids {
				m := e.managerFor(id)
				r, err := m.Status(c.Context, id)
				m.Close()
				if err != nil && len(ids) == 1 {
					return err
				}
				if err != nil {
					// One unreachable instance does not hide the others.
					r = []instance.VMStatus{{Instance: id, State: "unknown", Error: err.Error()}}
				}
				rows = append(rows, r...)
			}
			if c.Bool("json") {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if rows == nil {
					return enc.Encode([]any{})
				}
				return enc.Encode(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(e.stderr, "no lab instances; `vlab up <lab>` starts one")
				return nil
			}
			w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "INSTANCE\tLAB\tVM\tSTATE\tPHASE\tSSH\tGOLDEN\tSTANDBY\tACCEL")
			for _, r := range rows {
				ssh := r.SSH
				if r.Host != "" {
					ssh += " on " + hostOf(r.Host)
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%v\t%v\t%s\n", r.Instance, r.Lab, r.VM, r.State, r.Phase, ssh, r.Golden, r.Standby, r.Accel)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			for _, r := range rows {
				if r.Error != "" {
					fmt.Fprintf(e.stderr, "vlab: instance %s: %s\n", r.Instance, r.Error)
				}
			}
			return nil
		},
	}
}

// hostOf shortens a libvirt URI to its host for the status table.
func hostOf(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		return u.Host
	}
	return uri
}
