// Package report reads incident reports (Wikimedia-style wikitext or
// markdown postmortems) into a timeline of events, and turns that timeline
// into the first draft of a lab: injects with their kinds and offsets.
package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on what `vlab new --from-report` drafts from. Real incident
// reports are a few to a few dozen KiB with tens of timeline entries;
// these limits leave room for the longest while keeping the draft under
// labfile.MaxFileSize and the time to write it under a second.
const (
	// MaxSize bounds a report; anything larger is refused before parsing.
	MaxSize = 256 << 10
	// MaxInjects bounds the injects of a draft: a longer timeline is
	// refused, with the advice to tag the entries worth an inject.
	MaxInjects = 1000
)

// Format is the markup a report is written in.
type Format string

// The formats Parse reads.
const (
	Wikitext Format = "wikitext"
	Markdown Format = "markdown"
)

// ParseFormat reads a --format value; "" means detect from the content.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", Wikitext, Markdown:
		return f, nil
	case "wiki", "mediawiki":
		return Wikitext, nil
	case "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown report format %q; use wikitext or markdown", s)
}

// Report is what vlab takes from an incident report.
type Report struct {
	Title   string
	Date    string // YYYY-MM-DD, "" when the report gives none
	Summary string // markdown
	Impact  string // markdown
	Link    string
	Format  Format
	// Entries is the timeline in the report's order.
	Entries []Entry
	// Tagged is true when the author tagged at least one entry: then only
	// tagged entries become injects.
	Tagged bool
	// Start is the incident's clock: the time of the entry that starts the
	// outage, or the one SetStart was given.
	Start time.Time
	// StartIndex is the first entry at or after Start; the entries above
	// it are background and become no injects.
	StartIndex int
}

// Entry is one event of the report's timeline.
type Entry struct {
	// Time is the event's time in UTC. When the report gives no date, the
	// date part counts days from time.Time{} (January 1 of year 1) and
	// HasDate is false.
	Time    time.Time
	HasDate bool
	// Timed is false when the entry had no time of its own and took the
	// time of the entry before it.
	Timed bool
	// Offset is the time since the report's Start, negative before it.
	Offset time.Duration
	// At is when the entry comes in a lab: Offset, or the At of the entry
	// above when the report lists it out of time order; 0 for background.
	At time.Duration
	// Text is the entry in markdown: time and tag removed, nested bullets
	// kept as a list below the first line.
	Text string
	// Kind is the inject kind, from the entry's tag or guessed from its words.
	Kind string
	// Tagged is true when the author marked the entry as an inject.
	Tagged bool
	// Guessed is true when Kind was guessed rather than given by a tag.
	Guessed bool
	// Line is the entry's first line in the report.
	Line int
}

// Injects returns the entries from the start on that become injects:
// the tagged ones, or every entry when the report has no tags.
func (r *Report) Injects() []Entry { return r.chosen(r.Entries[r.StartIndex:]) }

// LeftOut returns the entries that would be injects but stand above the
// start.
func (r *Report) LeftOut() []Entry { return r.chosen(r.Entries[:r.StartIndex]) }

func (r *Report) chosen(entries []Entry) []Entry {
	if !r.Tagged {
		return entries
	}
	var out []Entry
	for _, e := range entries {
		if e.Tagged {
			out = append(out, e)
		}
	}
	return out
}

// Parse reads a report. name is the report's file name, used in messages
// and as a last resort for the title; format "" detects the format.
func Parse(name string, data []byte, format Format) (*Report, error) {
	if len(data) > MaxSize {
		return nil, tooLarge(name)
	}
	text := normalize(data)
	if format == "" {
		format = Detect(name, text)
	}
	d := scan(format, text)
	r := &Report{Format: format}
	tl, err := d.findTimeline(name)
	if err != nil {
		return nil, err
	}
	r.meta(name, d, tl)
	if err := r.timeline(name, d, tl); err != nil {
		return nil, err
	}
	return r, r.SetStart("")
}

// normalize makes text valid UTF-8 with \n line ends.
func normalize(data []byte) string {
	s := string(data)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.TrimPrefix(s, "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// Detect guesses a report's format from its markup, falling back on the
// file name's extension and then on markdown.
func Detect(name, text string) Format {
	wiki, md := 0, 0
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case wikiHeading.MatchString(l), strings.HasPrefix(l, "{{"), strings.HasPrefix(l, "{|"):
			wiki += 3
		case mdHeading.MatchString(l), mdDelimRow.MatchString(l), strings.HasPrefix(l, "- "):
			md += 3
		}
		wiki += strings.Count(l, "'''") + strings.Count(l, "[[")
		md += strings.Count(l, "**") + strings.Count(l, "](")
	}
	switch {
	case wiki > md:
		return Wikitext
	case md > wiki:
		return Markdown
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".wiki", ".wikitext", ".mediawiki", ".mw":
		return Wikitext
	}
	return Markdown
}

// sectionNames are the headings of the layouts vlab reads, lowercased;
// a bold line with one of these names counts as a heading.
var sectionNames = []string{
	"summary", "overview", "executive summary", "tl;dr", "description",
	"impact", "user impact", "customer impact", "timeline", "detection",
	"conclusions", "actionables", "action items", "root cause", "resolution",
	"what went well?", "what went poorly?", "where did we get lucky?",
	"lessons learned", "follow-up", "links", "scorecard",
}

func isSectionName(s string) bool {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), ":"))
	return slices.Contains(sectionNames, s) || strings.Contains(s, "timeline")
}
