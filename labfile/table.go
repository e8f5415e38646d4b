package labfile

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// Short writes d to the second without trailing zero units: "4m",
// "1h20m", "7m12s", "0s".
func (d Duration) Short() string {
	s := d.D().Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// WriteTable writes the labs List found as a table: name, title,
// difficulty and duration, or where to learn why a lab does not load. A
// lab's title and folder name are its author's text, so they are
// sanitised.
func WriteTable(out io.Writer, found []Entry) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tTITLE\tDIFFICULTY\tDURATION")
	for _, f := range found {
		name := termtext.Line(f.Name)
		if f.Err != nil {
			fmt.Fprintf(w, "%s\t(invalid: `vlab validate %s` says why)\t\t\n", name, name)
			continue
		}
		title := strings.Join(strings.Fields(termtext.Line(f.Lab.Title)), " ")
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", name, title, dash(f.Lab.Difficulty), dash(f.Lab.shortDuration()))
	}
	return w.Flush()
}

// Summary is one lab as WriteJSON writes it.
type Summary struct {
	Name       string `json:"name"`
	Title      string `json:"title,omitempty"`
	Difficulty string `json:"difficulty,omitempty"`
	Duration   string `json:"duration,omitempty"`
	// Problem is set when the lab does not load.
	Problem string `json:"problem,omitempty"`
}

// WriteJSON writes the labs List found as an indented JSON array.
func WriteJSON(w io.Writer, found []Entry) error {
	out := make([]Summary, len(found))
	for i, f := range found {
		out[i].Name = f.Name
		if f.Err != nil {
			out[i].Problem = f.Err.Error()
			continue
		}
		out[i].Title, out[i].Difficulty = strings.Join(strings.Fields(f.Lab.Title), " "), f.Lab.Difficulty
		out[i].Duration = f.Lab.shortDuration()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func (lab *Lab) shortDuration() string {
	if lab.Duration <= 0 {
		return ""
	}
	return lab.Duration.Short()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
