package incident

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vlab-dev/vlab/labfile"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// Debrief sets each attempt at a lab beside the real incident.
type Debrief struct {
	Lab   string `json:"lab"`
	Title string `json:"title"`
	// OnTheDay holds the real incident's times from its start (the
	// outage beginning), from lab.yaml's outage section; nil without it.
	OnTheDay *OutageTimes     `json:"on_the_day,omitempty"`
	Attempts []AttemptDebrief `json:"attempts"`
}

// OutageTimes are seconds from the start of an outage; 0 when unknown.
type OutageTimes struct {
	MitigateSeconds float64 `json:"mitigate_seconds,omitempty"`
	ResolveSeconds  float64 `json:"resolve_seconds,omitempty"`
}

// AttemptDebrief is how one attempt went.
type AttemptDebrief struct {
	N        int       `json:"n"`
	By       string    `json:"by,omitempty"`
	Started  time.Time `json:"started"`
	Resolved bool      `json:"resolved"`
	// ResolveSeconds is the time from the start of the attempt to the first
	// check that found the incident resolved.
	ResolveSeconds float64 `json:"resolve_seconds,omitempty"`
	// Mitigated and MitigateSeconds are the same for the first check that
	// found users served (mitigated or resolved).
	Mitigated       bool    `json:"mitigated"`
	MitigateSeconds float64 `json:"mitigate_seconds,omitempty"`
	// InjectsToMitigate counts the injects revealed before the attempt
	// was first mitigated (all those revealed, while it is not).
	InjectsToMitigate int `json:"injects_to_mitigate"`
	// InjectsUsed counts the injects revealed before resolving; all those
	// revealed while unresolved.
	InjectsUsed int `json:"injects_used"`
	Injects     int `json:"injects"`
	// ChecksToResolve counts checks up to and including the resolving one;
	// Checks counts them all.
	ChecksToResolve int `json:"checks_to_resolve,omitempty"`
	Checks          int `json:"checks"`
	// UsedSolution is set when the reference fix was applied before the
	// incident was resolved, so the time says little.
	UsedSolution bool            `json:"used_solution,omitempty"`
	Timeline     []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one inject: when it happened in the real incident and
// when the trainee revealed it.
type TimelineEntry struct {
	N               int     `json:"n"`
	ID              string  `json:"id"`
	Kind            string  `json:"kind"`
	Title           string  `json:"title"`
	IncidentSeconds float64 `json:"incident_seconds"`
	// YouSeconds is the time since the start of the attempt; nil when not
	// revealed.
	YouSeconds *float64 `json:"you_seconds,omitempty"`
}

// NewDebrief builds the debrief of lab from its attempts.
func NewDebrief(lab *labfile.Lab, attempts []Attempt) Debrief {
	d := Debrief{Lab: lab.Name, Title: lab.Title, Attempts: []AttemptDebrief{}}
	if o := lab.Outage; o != nil {
		d.OnTheDay = &OutageTimes{MitigateSeconds: o.Mitigated.D().Seconds(), ResolveSeconds: o.Resolved.D().Seconds()}
	}
	for _, a := range attempts {
		d.Attempts = append(d.Attempts, debriefAttempt(lab, a))
	}
	return d
}

func debriefAttempt(lab *labfile.Lab, a Attempt) AttemptDebrief {
	ad := AttemptDebrief{N: a.N, By: a.By, Started: a.Started, Checks: len(a.Checks), Injects: len(lab.Injects)}
	ad.Resolved = !a.Resolved.IsZero()
	if ad.Mitigated = !a.Mitigated.IsZero(); ad.Mitigated {
		ad.MitigateSeconds = a.Mitigated.Sub(a.Started).Seconds()
	}
	before := func(t time.Time) bool { return !ad.Resolved || !t.After(a.Resolved) }
	if ad.Resolved {
		ad.ResolveSeconds = a.Resolved.Sub(a.Started).Seconds()
		ad.UsedSolution = !a.Solved.IsZero() && before(a.Solved)
		for _, c := range a.Checks {
			if before(c.Time) {
				ad.ChecksToResolve++
			}
		}
	}
	for _, r := range a.Reveals {
		if before(r.Time) {
			ad.InjectsUsed++
		}
		if !ad.Mitigated || !r.Time.After(a.Mitigated) {
			ad.InjectsToMitigate++
		}
	}
	ad.Timeline = []TimelineEntry{}
	for i, in := range lab.Injects {
		e := TimelineEntry{N: i + 1, ID: in.ID, Kind: in.Kind, Title: in.Title, IncidentSeconds: in.At.D().Seconds()}
		if t, ok := a.RevealTime(in.ID); ok {
			s := t.Sub(a.Started).Seconds()
			e.YouSeconds = &s
		}
		ad.Timeline = append(ad.Timeline, e)
	}
	return ad
}

// WriteText prints the debrief: a summary and a timeline table per attempt.
func (d Debrief) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "Debrief: %s (%s)\n", d.Lab, termtext.Line(d.Title))
	if len(d.Attempts) == 0 {
		_, err := fmt.Fprintln(w, "\nno attempt recorded yet; `vlab up` starts one")
		return err
	}
	if o := d.OnTheDay; o != nil {
		fmt.Fprintf(w, "On the day: %s\n", o.text())
	}
	for _, a := range d.Attempts {
		if err := a.writeText(w, d.OnTheDay); err != nil {
			return err
		}
	}
	return nil
}

func (a AttemptDebrief) writeText(w io.Writer, day *OutageTimes) error {
	by := ""
	if a.By != "" {
		by = " by " + a.By
	}
	fmt.Fprintf(w, "\nAttempt %d, started%s %s\n", a.N, by, a.Started.Local().Format("2006-01-02 15:04 MST"))
	if a.Mitigated && (!a.Resolved || a.MitigateSeconds < a.ResolveSeconds) {
		fmt.Fprintf(w, "  mitigated in %s (users served again), after %d of %d injects\n", Short(seconds(a.MitigateSeconds)), a.InjectsToMitigate, a.Injects)
	}
	if a.Resolved {
		fmt.Fprintf(w, "  resolved in %s, after %d of %d injects and %d checks", Short(seconds(a.ResolveSeconds)), a.InjectsUsed, a.Injects, a.ChecksToResolve)
		if a.UsedSolution {
			fmt.Fprint(w, " (with the reference fix applied)")
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "  not resolved; %d of %d injects revealed, %d checks run\n", a.InjectsUsed, a.Injects, a.Checks)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tINJECT\tKIND\tINCIDENT\tYOU")
	for _, e := range a.Timeline {
		you := "-"
		if e.YouSeconds != nil {
			you = Short(seconds(*e.YouSeconds))
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", e.N, e.ID, e.Kind, Short(seconds(e.IncidentSeconds)), you)
	}
	if a.Mitigated && (!a.Resolved || a.MitigateSeconds < a.ResolveSeconds) {
		fmt.Fprintf(tw, "  \tmitigated\t\t%s\t%s\n", day.at(true), Short(seconds(a.MitigateSeconds)))
	}
	if a.Resolved {
		fmt.Fprintf(tw, "  \tresolved\t\t%s\t%s\n", day.at(false), Short(seconds(a.ResolveSeconds)))
	}
	return tw.Flush()
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// at is the day's time to mitigate (or resolve) for a timeline row; "-"
// when unknown.
func (o *OutageTimes) at(mitigate bool) string {
	if o == nil {
		return "-"
	}
	s := o.ResolveSeconds
	if mitigate {
		s = o.MitigateSeconds
	}
	if s == 0 {
		return "-"
	}
	return Short(seconds(s))
}

// text says the day's times in a line.
func (o *OutageTimes) text() string {
	var parts []string
	if o.MitigateSeconds > 0 {
		parts = append(parts, "mitigated after "+Short(seconds(o.MitigateSeconds)))
	}
	if o.ResolveSeconds > 0 {
		parts = append(parts, "resolved after "+Short(seconds(o.ResolveSeconds)))
	}
	return strings.Join(parts, ", ") + " (from the outage's start)"
}
