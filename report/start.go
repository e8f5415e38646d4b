package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The entry that starts the outage: first one marked as such ("OUTAGE
// BEGINS"), else one whose words say an outage or errors began.
var (
	outageMark  = regexp.MustCompile(`(?i)\boutage (?:begins|began|starts|started)\b|\bstart of (?:the )?outage\b`)
	outageWords = regexp.MustCompile(`(?i)\b(?:outage|errors?|5xx|failures?|downtime|impact)\b[^.;]{0,40}?\b(?:begins?|began|starts?|started)\b` +
		`|\b(?:begins?|began|starts?|started) (?:to )?(?:fail|error|return(?:ing)? (?:5\d\d|errors?)|time out|reject)`)
)

// SetStart sets the incident's clock: every entry's Offset counts from
// it, and the entries above the start are left out of the injects. spec
// is a time ("17:03", "2024-03-05 17:03"), the report line an entry starts
// on ("42"), or words of the entry ("OUTAGE BEGINS"); "" picks the entry
// that starts the outage, else the first entry on the report's date, else
// the first entry.
func (r *Report) SetStart(spec string) error {
	i, start, err := r.findStart(strings.TrimSpace(spec))
	if err != nil {
		return fmt.Errorf("--start %q: %w", spec, err)
	}
	r.Start, r.StartIndex = start, i
	var at time.Duration
	for j := range r.Entries {
		e := &r.Entries[j]
		e.Offset = e.Time.Sub(start)
		e.At = 0
		if j >= i {
			at = max(at, e.Offset)
			e.At = at
		}
	}
	if r.Date == "" && i < len(r.Entries) && hasDate(start) {
		r.Date = start.Format(time.DateOnly)
	}
	return nil
}

// findStart returns the index of the first entry at or after the start,
// and the start.
func (r *Report) findStart(spec string) (int, time.Time, error) {
	if spec == "" {
		i := r.defaultStart()
		return i, r.Entries[i].Time, nil
	}
	if st, rest, ok := leadingStamp(spec); ok && rest == "" {
		t, err := r.stampTime(st)
		if err != nil {
			return 0, time.Time{}, err
		}
		for i, e := range r.Entries {
			if !e.Time.Before(t) {
				return i, t, nil
			}
		}
		return 0, time.Time{}, fmt.Errorf("every timeline entry is before it")
	}
	if n, err := strconv.Atoi(spec); err == nil {
		for i, e := range r.Entries {
			if e.Line == n {
				return i, e.Time, nil
			}
		}
		return 0, time.Time{}, fmt.Errorf("no timeline entry starts on line %d of the report; "+
			"give the line an entry starts on (the draft's comments name them), a time or words of the entry", n)
	}
	for i, e := range r.Entries {
		if strings.Contains(strings.ToLower(plain(e.Text)), strings.ToLower(spec)) {
			return i, e.Time, nil
		}
	}
	return 0, time.Time{}, fmt.Errorf("no timeline entry holds these words; give words of an entry, a time (17:03) or a report line")
}

// stampTime places a --start time: a date and time as written, a date
// alone at its midnight, a time alone at the first entry with that time
// of day, else on the report's date.
func (r *Report) stampTime(st stamp) (time.Time, error) {
	if !st.date.IsZero() {
		d := st.date
		if base, err := time.Parse(time.DateOnly, r.Date); err == nil && d.Year() == 1 {
			d = time.Date(base.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
		}
		return d.Add(st.tod), nil
	}
	for _, e := range r.Entries {
		if e.Timed && e.Time.Sub(e.Time.Truncate(24*time.Hour)) == st.tod {
			return e.Time, nil
		}
	}
	base, err := time.Parse(time.DateOnly, r.Date)
	if err != nil {
		return time.Time{}, fmt.Errorf("no entry at that time and the report gives no date; give a date too, like \"2024-03-05 17:03\"")
	}
	return base.Add(st.tod), nil
}

// defaultStart is the entry that starts the outage, else the first entry
// on the report's own date (entries days before it are background), else
// the first entry.
func (r *Report) defaultStart() int {
	for _, re := range []*regexp.Regexp{outageMark, outageWords} {
		for i, e := range r.Entries {
			if re.MatchString(plain(e.Text)) {
				return i
			}
		}
	}
	if day, err := time.Parse(time.DateOnly, r.Date); err == nil {
		for i, e := range r.Entries {
			if e.HasDate && !e.Time.Before(day) {
				return i
			}
		}
	}
	return 0
}
