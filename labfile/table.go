package labfile

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
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

// ListOptions say whose view of the labs WriteTable and WriteJSON give.
type ListOptions struct {
	// Trainer adds the trainer's text (the cause) to the trainee's (the
	// title, which names the symptom).
	Trainer bool
}

// WriteTable writes the labs List found as a table: name, title,
// difficulty and duration, or where to learn why a lab does not load; for
// the trainer, the cause in a line after the title. A lab's text and
// folder name are its author's, so they are sanitised.
func WriteTable(out io.Writer, found []Entry, o ListOptions) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	head := []string{"NAME", "TITLE", "DIFFICULTY", "DURATION"}
	if o.Trainer {
		head = slices.Insert(head, 2, "CAUSE")
	}
	fmt.Fprintln(w, strings.Join(head, "\t"))
	for _, f := range found {
		name := termtext.Line(f.Name)
		if f.Err != nil {
			fmt.Fprintf(w, "%s\t(invalid: `vlab validate %s` says why)%s\n", name, name, strings.Repeat("\t", len(head)-2))
			continue
		}
		row := []string{name, oneLine(f.Lab.Title), dash(f.Lab.Difficulty), dash(f.Lab.shortDuration())}
		if o.Trainer {
			row = slices.Insert(row, 2, dash(oneLine(f.Lab.causeLine())))
		}
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
	return w.Flush()
}

// oneLine is s sanitised for a terminal, its spaces and line breaks
// folded into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(termtext.Line(s)), " ") }

// Summary is one lab as WriteJSON writes it.
type Summary struct {
	Name       string `json:"name"`
	Title      string `json:"title,omitempty"`
	Difficulty string `json:"difficulty,omitempty"`
	Duration   string `json:"duration,omitempty"`
	// Trainer is the trainer's text, written only for the trainer.
	Trainer *Trainer `json:"trainer,omitempty"`
	// Problem is set when the lab does not load.
	Problem string `json:"problem,omitempty"`
}

// WriteJSON writes the labs List found as an indented JSON array.
func WriteJSON(w io.Writer, found []Entry, o ListOptions) error {
	out := make([]Summary, len(found))
	for i, f := range found {
		out[i].Name = f.Name
		if f.Err != nil {
			out[i].Problem = f.Err.Error()
			continue
		}
		out[i].Title, out[i].Difficulty = strings.Join(strings.Fields(f.Lab.Title), " "), f.Lab.Difficulty
		out[i].Duration = f.Lab.shortDuration()
		if o.Trainer {
			out[i].Trainer = f.Lab.Trainer
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// causeLine is the cause in a line: trainer.title, else the first
// sentence of trainer.cause; empty without a trainer section.
func (lab *Lab) causeLine() string {
	if lab.Trainer == nil {
		return ""
	}
	if strings.TrimSpace(lab.Trainer.Title) != "" {
		return lab.Trainer.Title
	}
	return firstSentence(lab.Trainer.Cause)
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
