package instance

import (
	"context"
	"fmt"
	"github.com/vlab-dev/vlab/internal/termtext"
	"io"
	"net/url"
	"text/tabwriter"
)

// Status reports every VM of the given instances (all in Home when ids is
// empty), each asked through its own driver and host. One instance that
// cannot be asked does not hide the others: its row says why; asked about
// alone, it is an error.
func (s Settings) Status(ctx context.Context, ids ...string) ([]VMStatus, error) {
	if len(ids) == 0 {
		var err error
		if ids, err = s.Home.IDs(); err != nil {
			return nil, err
		}
	}
	var rows []VMStatus
	for _, id := range ids {
		m := s.ManagerFor(id)
		r, err := m.Status(ctx, id)
		m.Close()
		if err != nil && len(ids) == 1 {
			return nil, err
		}
		if err != nil {
			r = []VMStatus{{Instance: id, State: "unknown", Error: err.Error()}}
		}
		rows = append(rows, r...)
	}
	return rows, nil
}

// WriteStatus writes rows as the table of `vlab status`, and to problems
// one line for each row whose instance could not be read or asked about.
func WriteStatus(out, problems io.Writer, rows []VMStatus) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "INSTANCE\tLAB\tVM\tSTATE\tPHASE\tSSH\tGOLDEN\tSTANDBY\tACCEL")
	for _, r := range rows {
		if r.Observer {
			continue
		}
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
			fmt.Fprintf(problems, "vlab: instance %s: %s\n", r.Instance, termtext.Line(r.Error))
		}
	}
	return nil
}

// hostOf shortens a libvirt URI to its host for the status table.
func hostOf(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Host != "" {
		return u.Host
	}
	return uri
}
