package report

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// section is the blocks under a heading, up to the next heading of the
// same or a higher level; headings that are dates do not end a section.
type section struct {
	title      string
	line       int
	start, end int // the heading's index in doc.blocks, and one past its last block
	blocks     []block
}

// section finds the first heading whose text satisfies match.
func (d *doc) section(match func(string) bool) (section, bool) {
	for i := range d.blocks {
		if s, ok := d.sectionAt(i, match); ok {
			return s, true
		}
	}
	return section{}, false
}

// sectionAt is the section under the heading at i when its text
// satisfies match.
func (d *doc) sectionAt(i int, match func(string) bool) (section, bool) {
	h := d.blocks[i]
	if h.kind != headingBlock || !match(h.text) || isDate(h.text) {
		return section{}, false
	}
	j := i + 1
	for ; j < len(d.blocks); j++ {
		n := d.blocks[j]
		if n.kind == headingBlock && n.level <= h.level && !isDate(n.text) {
			break
		}
	}
	return section{title: h.text, line: h.line, start: i, end: j, blocks: d.blocks[i+1 : j]}, true
}

func isDate(s string) bool {
	_, ok := dateOnly(s)
	return ok
}

func isTimeline(title string) bool {
	return strings.Contains(strings.ToLower(title), "timeline")
}

// rawEntry is a timeline entry as written, before times are placed.
type rawEntry struct {
	line    int
	blk     int // the index of its first block in the blocks read
	depth   int
	st      stamp
	ownDate bool     // st.date is the entry's own, not a date heading's
	lines   []string // the first line, then nested items, in markdown
	tag     tag      // the author's inject tag, if any
}

// builder groups a timeline section's blocks into entries.
type builder struct {
	format  Format
	year    int // for dates written without a year; 0 when unknown
	entries []*rawEntry
	cur     *rawEntry // where nested items and continuation lines go
	marker  time.Time // the date of the last date heading
	blank   bool      // the previous block was blank
	cols    *columns  // the current table's columns
	idx     int       // the index of the block being read
}

func (b *builder) run(blocks []block) []*rawEntry {
	for i, bl := range blocks {
		b.idx = i
		switch bl.kind {
		case headingBlock:
			b.dateMarker(bl.text)
			b.cur = nil
		case itemBlock:
			b.item(bl)
		case rowBlock:
			b.row(bl)
		case textBlock:
			b.text(bl)
		}
		if bl.kind != rowBlock {
			b.cols = nil
		}
		b.blank = bl.kind == blankBlock
	}
	return b.entries
}

// dateMarker notes a line that is only a date; it dates the entries after it.
func (b *builder) dateMarker(s string) bool {
	d, ok := dateOnly(s)
	if ok {
		b.marker = b.withYear(d)
		b.cur = nil
	}
	return ok
}

func (b *builder) withYear(d time.Time) time.Time {
	if d.Year() == 1 && b.year > 1 {
		return time.Date(b.year, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	}
	return d
}

// item starts an entry, or adds a nested bullet without a time of its
// own to the entry above it.
func (b *builder) item(bl block) {
	text, tg := cutTag(bl.text)
	if b.dateMarker(text) {
		return
	}
	st, rest, ok := leadingStamp(text)
	if !ok && b.cur != nil && bl.level > b.cur.depth {
		pad := strings.Repeat("  ", min(bl.level-b.cur.depth-1, 8))
		b.cur.lines = append(b.cur.lines, pad+"- "+text)
		b.cur.tag = b.cur.tag.or(tg)
		return
	}
	b.start(bl.line, bl.level, st, ok, rest)
	b.cur.tag = tg
}

// text continues the current entry, starts one when the line begins with
// a time, or is prose to skip.
func (b *builder) text(bl block) {
	text, tg := cutTag(bl.text)
	if b.dateMarker(text) {
		return
	}
	if st, rest, ok := leadingStamp(text); ok && st.hasTime {
		b.start(bl.line, 0, st, true, rest)
		b.cur.tag = tg
		return
	}
	if b.cur != nil && (bl.indent > 0 || !b.blank && b.format == Markdown) {
		last := &b.cur.lines[len(b.cur.lines)-1]
		*last = strings.TrimSpace(*last + " " + text)
		b.cur.tag = b.cur.tag.or(tg)
		return
	}
	b.cur = nil
}

func (b *builder) start(line, depth int, st stamp, stamped bool, text string) {
	e := &rawEntry{line: line, blk: b.idx, depth: depth, lines: []string{text}}
	if stamped {
		e.st = st
		e.ownDate = !st.date.IsZero()
		e.st.date = b.withYear(st.date)
	}
	if !e.ownDate {
		e.st.date = b.marker
	}
	b.entries = append(b.entries, e)
	b.cur = e
}

// columns are the roles of a timeline table's columns; -1 when absent.
type columns struct{ time, date, tag int }

func headerColumns(cells []string) *columns {
	c := &columns{time: -1, date: -1, tag: -1}
	for i, h := range cells {
		h = strings.ToLower(plain(h))
		switch {
		case c.time < 0 && (strings.Contains(h, "time") || h == "when" || strings.Contains(h, "utc")):
			c.time = i
		case c.date < 0 && (h == "date" || h == "day"):
			c.date = i
		case c.tag < 0 && (h == "inject" || h == "tag" || h == "kind"):
			c.tag = i
		}
	}
	return c
}

// row reads a table row: the header names the columns; a row whose
// columns are not named takes its first cell holding a time as the time.
func (b *builder) row(bl block) {
	if b.cols == nil {
		if bl.head {
			b.cols = headerColumns(bl.cells)
			return
		}
		b.cols = &columns{time: -1, date: -1, tag: -1}
	}
	c, cells := *b.cols, bl.cells
	if c.time < 0 && c.date < 0 {
		c.time = firstTimeCell(cells)
	}
	st, stamped := stamp{}, false
	if c.time >= 0 && c.time < len(cells) {
		st, _, stamped = leadingStamp(cells[c.time])
	}
	if c.date >= 0 && c.date < len(cells) {
		if d, ok := dateOnly(cells[c.date]); ok {
			st.date, stamped = d, true
		}
	}
	var parts []string
	var tg tag
	for i, cell := range cells {
		var t tag
		cell, t = cutTag(cell)
		tg = tg.or(t)
		if i != c.time && i != c.date && i != c.tag && cell != "" {
			parts = append(parts, cell)
		}
	}
	if c.tag >= 0 && c.tag < len(cells) {
		tg = tg.or(tagCell(cells[c.tag]))
	}
	text := strings.Join(parts, " — ")
	if text == "" {
		if stamped && !st.hasTime {
			b.marker = b.withYear(st.date)
		}
		return
	}
	b.start(bl.line, 0, st, stamped, text)
	b.cur.tag = tg
}

func firstTimeCell(cells []string) int {
	for i, cell := range cells {
		if st, rest, ok := leadingStamp(cell); ok && st.hasTime && rest == "" {
			return i
		}
	}
	return -1
}

// placer gives every entry a full time. A date comes from the entry,
// else from the last date heading, else from the report's date (or from
// year 1 when there is none). A time more than 12 hours before the one
// above it means the timeline crossed midnight.
type placer struct {
	day    time.Time // midnight of the current day
	known  bool      // day comes from a date the report gives
	marker time.Time
	prev   time.Time
	timed  bool // prev is set
}

// maxBackwards is how far a timeline may step back in time without being
// read as having crossed midnight.
const maxBackwards = 12 * time.Hour

func placeTimes(raws []*rawEntry, base time.Time) []time.Time {
	p := &placer{day: base, known: hasDate(base)}
	times := make([]time.Time, len(raws))
	placed := make([]bool, len(raws))
	for i, e := range raws {
		times[i], placed[i] = p.place(e, times[:i])
	}
	fillUntimed(times, placed)
	return times
}

func (p *placer) place(e *rawEntry, earlier []time.Time) (time.Time, bool) {
	explicit := !e.st.date.IsZero() && (e.ownDate || !e.st.date.Equal(p.marker))
	if explicit {
		if !e.ownDate {
			p.marker = e.st.date
		}
		if !p.known && p.timed {
			p.shift(earlier, e)
		}
		p.day, p.known = e.st.date, true
	}
	if !e.st.hasTime {
		if !explicit {
			return time.Time{}, false
		}
		t := p.day
		if p.timed && p.prev.After(t) {
			t = p.prev
		}
		p.prev, p.timed = t, true
		return t, true
	}
	t := p.day.Add(e.st.tod)
	if !explicit && p.timed && p.prev.Sub(t) > maxBackwards {
		p.day = p.day.AddDate(0, 0, 1)
		t = t.AddDate(0, 0, 1)
	}
	p.prev, p.timed = t, true
	return t, true
}

// shift moves the entries placed before the report's first date onto
// that date, or onto the day before when the clock went back.
func (p *placer) shift(earlier []time.Time, e *rawEntry) {
	anchor := e.st.date
	prevDay := p.prev.Truncate(24 * time.Hour)
	if e.st.hasTime && p.prev.Sub(prevDay) > e.st.tod {
		anchor = anchor.AddDate(0, 0, -1)
	}
	delta := anchor.Sub(prevDay)
	for i := range earlier {
		if !earlier[i].IsZero() {
			earlier[i] = earlier[i].Add(delta)
		}
	}
	p.prev = p.prev.Add(delta)
}

// fillUntimed gives an entry without a time the time of the entry above
// it; entries before the first time take that first time.
func fillUntimed(times []time.Time, placed []bool) {
	first := slices.Index(placed, true)
	if first < 0 {
		return
	}
	last := times[first]
	for i := range times {
		if placed[i] {
			last = times[i]
		} else {
			times[i] = last
		}
	}
}

// timelineError says what to write when a report has no usable timeline.
func timelineError(name string, line int, what string) error {
	loc := name
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", name, line)
	}
	return fmt.Errorf(`%s: %s; write one entry per line under a "Timeline" heading, like "* 14:23 the 5xx alert fires [inject:alert]"`, loc, what)
}
