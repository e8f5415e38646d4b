package incident

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// Render writes an inject for the trainee: a header with its place in the
// timeline and kind, its body, where its attachment was saved, and the
// output of its live command.
func Render(w io.Writer, sh Shown, o RenderOptions) error {
	in := sh.Inject
	kind := strings.ToUpper(in.Kind)
	if in.Guessed {
		kind += "?"
	}
	head := fmt.Sprintf("[%d/%d] %s  %s", sh.N, sh.Of, kind, termtext.Line(in.Title))
	meta := fmt.Sprintf("at %s in the incident, revealed %s into your attempt", Short(in.At.D()), Short(sh.Since))
	if sh.Preview {
		meta = fmt.Sprintf("at %s in the incident", Short(in.At.D()))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", o.style(ansiBold, head), o.style(ansiDim, meta))
	if strings.TrimSpace(in.Body) != "" {
		b.WriteString("\n")
		if err := Markdown(&b, in.Body, o); err != nil {
			return err
		}
	}
	if sh.Attachment != "" {
		fmt.Fprintf(&b, "\nAttached: %s\n", termtext.Line(sh.Attachment))
	}
	switch {
	case sh.Live != nil && sh.Preview:
		fmt.Fprintf(&b, "\n%s\n", o.style(ansiBold, fmt.Sprintf("Live from %s, when revealed: $ %s", sh.Live.VM, termtext.Line(sh.Live.Command))))
		fmt.Fprintln(&b, "    (not run in a preview)")
	case sh.Live != nil:
		renderLive(&b, sh.Live, o)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func renderLive(b *strings.Builder, l *Live, o RenderOptions) {
	fmt.Fprintf(b, "\n%s\n", o.style(ansiBold, fmt.Sprintf("Live from %s: $ %s", l.VM, termtext.Line(l.Command))))
	for _, line := range strings.Split(strings.TrimRight(termtext.Text(l.Output), "\n"), "\n") {
		if line != "" || l.Output != "" {
			fmt.Fprintf(b, "    %s\n", o.style(ansiCyan, line))
		}
	}
	switch {
	case l.Err != "":
		fmt.Fprintf(b, "    (live output unavailable: %s)\n", l.Err)
	case l.Truncated:
		fmt.Fprintf(b, "    (output cut at %d KiB)\n", maxLiveOutput>>10)
	}
	if l.Err == "" && l.Exit != 0 {
		fmt.Fprintf(b, "    (exit status %d)\n", l.Exit)
	}
}

// RenderList writes the revealed injects as a table: place, kind, id,
// offset in the real incident, when revealed in the attempt, and title.
func RenderList(w io.Writer, list []Shown) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "no inject revealed yet; `vlab inject` reveals the first")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tKIND\tID\tINCIDENT\tYOU\tTITLE")
	for _, sh := range list {
		fmt.Fprintf(tw, "%d/%d\t%s\t%s\t%s\t%s\t%s\n", sh.N, sh.Of, sh.Inject.Kind, sh.Inject.ID,
			Short(sh.Inject.At.D()), Short(sh.Since), termtext.Line(sh.Inject.Title))
	}
	return tw.Flush()
}

// Short writes d to the second without trailing zero units: "4m", "1h20m",
// "7m12s", "0s".
func Short(d time.Duration) string { return labfile.Duration(d).Short() }
