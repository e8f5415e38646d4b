package probe

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// WriteText prints the report as a table, a probe a line, and a closing
// verdict line.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tPROBE\tVM\tOBSERVED\tWANT\tNOTE")
	pass := 0
	for _, res := range r.Results {
		name := res.Name
		if res.Guard {
			name += " (guard)"
		}
		if res.Cause {
			name += " (cause)"
		}
		if res.Status == Pass {
			pass++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", strings.ToUpper(string(res.Status)), name, res.VM,
			termtext.Line(res.Observed), termtext.Line(res.Expected), termtext.Line(res.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var verdict string
	switch r.ExitCode() {
	case 0:
		verdict = fmt.Sprintf("resolved: all %d probes pass", pass)
	case 1:
		verdict = fmt.Sprintf("not resolved: %d of %d probes pass", pass, len(r.Results))
		if r.Mitigated() {
			verdict = "mitigated, not resolved: users are served, but the cause is not gone (the cause probes fail)"
		}
	default:
		verdict = fmt.Sprintf("check could not run: %v", r.Err())
	}
	_, err := fmt.Fprintln(w, termtext.Line(verdict))
	return err
}
