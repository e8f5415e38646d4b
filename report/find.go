package report

import "fmt"

// span is where a report's timeline stands in doc.blocks.
type span struct {
	title    string // the heading above it; "" when it has none
	line     int    // the heading's line, else the first entry's
	from, to int    // its blocks, from the first after the heading
	// trim drops the entries without a time after the last timed one:
	// under a heading that does not name a timeline, they are something
	// else (action items, links).
	trim bool
}

func (s span) blocks(d *doc) []block { return d.blocks[s.from:s.to] }

func (s span) contains(i int) bool { return i >= s.from && i < s.to }

// minRun is how many time-stamped entries a run needs to be read as the
// timeline when no heading names one: one time alone is more likely a
// sentence of the summary.
const minRun = 2

// findTimeline finds the timeline: the first section whose heading names
// a timeline and holds entries, else the run of time-stamped entries
// (lines, bullets or table rows) with the most entries under any heading
// or none.
func (d *doc) findTimeline(name string) (span, error) {
	var empty *section
	for i := range d.blocks {
		s, ok := d.sectionAt(i, isTimeline)
		if !ok {
			continue
		}
		if len(d.entries(s.blocks)) > 0 {
			return span{title: s.title, line: s.line, from: s.start + 1, to: s.end}, nil
		}
		if empty == nil {
			empty = &s
		}
	}
	if run, ok := d.bestRun(); ok {
		return run, nil
	}
	if empty != nil {
		return span{}, timelineError(name, empty.line, fmt.Sprintf("the %q section has no entries", empty.title))
	}
	return span{}, timelineError(name, 0, "no timeline found: no \"Timeline\" heading, no run of time-stamped lines and no table with a time column")
}

func (d *doc) entries(blocks []block) []*rawEntry {
	return (&builder{format: d.format}).run(blocks)
}

// bestRun is the run of time-stamped entries with the most entries, among
// the stretches of blocks between two headings (a date heading does not
// end a stretch).
func (d *doc) bestRun() (span, bool) {
	var best span
	most := minRun - 1
	for _, l := range d.leaves() {
		raws := d.entries(d.blocks[l.from:l.to])
		first, n := -1, 0
		for i, e := range raws {
			if e.timed() {
				n++
				if first < 0 {
					first = i
				}
			}
		}
		if n > most {
			most = n
			best = l
			best.from = d.runStart(l.from + raws[first].blk)
			best.line, best.trim = raws[first].line, true
		}
	}
	return best, most >= minRun
}

// leaves are the stretches of blocks between headings, the first one
// before any heading.
func (d *doc) leaves() []span {
	var out []span
	cur := span{}
	for i, b := range d.blocks {
		if b.kind != headingBlock || isDate(b.text) {
			continue
		}
		cur.to = i
		out = append(out, cur)
		cur = span{title: b.text, line: b.line, from: i + 1}
	}
	cur.to = len(d.blocks)
	return append(out, cur)
}

// runStart moves the start of a run back over what dates or heads it: a
// line or heading that is only a date, a table's header row, blank lines.
func (d *doc) runStart(i int) int {
	for i > 0 {
		b := d.blocks[i-1]
		dateLine := b.kind != rowBlock && b.kind != blankBlock && isDate(b.text)
		if b.kind != blankBlock && !dateLine && !(b.kind == rowBlock && b.head) {
			break
		}
		i--
	}
	return i
}

// timed is true when the entry carries a time or a date of its own.
func (e *rawEntry) timed() bool { return e.st.hasTime || e.ownDate }
