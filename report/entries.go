package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// timeline reads the entries of the timeline tl, places them in time
// and gives each its kind. They keep the report's order.
func (r *Report) timeline(name string, d *doc, tl span) error {
	base, _ := time.Parse(time.DateOnly, r.Date)
	b := &builder{format: d.format, year: base.Year()}
	raws := b.run(tl.blocks(d))
	for tl.trim && len(raws) > 0 && !raws[len(raws)-1].timed() {
		raws = raws[:len(raws)-1]
	}
	if len(raws) == 0 {
		return timelineError(name, tl.line, fmt.Sprintf("the %q section has no entries", tl.title))
	}
	times := placeTimes(raws, base)
	for i, e := range raws {
		kind, err := e.kind(name)
		if err != nil {
			return err
		}
		r.Tagged = r.Tagged || e.tag.set
		r.Entries = append(r.Entries, Entry{
			Time:    times[i],
			HasDate: hasDate(times[i]),
			Timed:   e.st.hasTime,
			Text:    strings.TrimSpace(strings.Join(e.lines, "\n")),
			Kind:    kind,
			Tagged:  e.tag.set,
			Guessed: e.tag.kind == "",
			Line:    e.line,
		})
	}
	return nil
}

// kind is the entry's inject kind: the one its tag names, else a guess.
func (e *rawEntry) kind(name string) (string, error) {
	if e.tag.kind == "" {
		return guessKind(strings.Join(e.lines, " ")), nil
	}
	k, ok := knownKind(e.tag.kind)
	if !ok {
		return "", fmt.Errorf("%s:%d: unknown inject kind %q; tag the entry with one of %s, e.g. [inject:alert]",
			name, e.line, e.tag.kind, strings.Join(labfile.InjectKinds, ", "))
	}
	return k, nil
}
