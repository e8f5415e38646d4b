package report

import (
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var (
	mdLink    = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	autoLink  = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	emphasis  = strings.NewReplacer("***", "", "**", "", "__", "", "~~", "", "`", "")
	lineField = regexp.MustCompile(`^(?:\*\*|__)?([A-Za-z][A-Za-z /-]{0,24}?)\s*(?:(?:\*\*|__):|:(?:\*\*|__)?)\s+(.+)$`)
	urlish    = regexp.MustCompile(`https?://[^\s<>)\]|]+`)
	// aside is a heading's closing remark: "Summary (for readers outside SRE)".
	aside = regexp.MustCompile(`\s*[(\[][^()\[\]]*[)\]]\s*:?$`)
)

// plain turns one line of markdown into text: links keep their label
// and emphasis marks go.
func plain(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	s = autoLink.ReplaceAllString(s, "$1")
	s = emphasis.Replace(s)
	s = strings.Trim(s, "*_ ")
	return strings.Join(strings.Fields(s), " ")
}

// metaKeys are the "Key: value" lines read as metadata, such as
// "**Date:** 2024-03-05" in a postmortem's header.
var metaKeys = map[string]bool{
	"title": true, "date": true, "summary": true, "impact": true,
	"link": true, "url": true, "report": true, "source": true, "start": true,
	"incident date": true, "user impact": true,
}

// meta fills the report's title, date, summary, impact and link from
// fields (front matter, template parameters, "Key: value" lines), from
// the sections of the same names, and last from the file name.
func (r *Report) meta(name string, d *doc, tl span) {
	d.lineFields(tl)
	r.Title = r.title(name, d)
	r.Date = d.date(r.Title, name)
	r.Summary = d.prose(tl, []string{"summary"}, []string{"summary", "overview", "executive summary", "tl;dr", "description"})
	if r.Summary == "" {
		r.Summary = d.lede(tl)
	}
	r.Impact = d.prose(tl, []string{"impact", "user impact"}, []string{"impact", "user impact", "customer impact"})
	if f, ok := d.field("link", "url", "report", "source"); ok {
		r.Link = urlish.FindString(f.value)
	}
}

// lineFields reads "Key: value" lines with a known key, outside the timeline.
func (d *doc) lineFields(tl span) {
	for i, b := range d.blocks {
		if b.kind != textBlock && b.kind != itemBlock || tl.contains(i) {
			continue
		}
		if m := lineField.FindStringSubmatch(b.text); m != nil && metaKeys[strings.ToLower(m[1])] {
			d.setField(m[1], m[2], b.line)
		}
	}
}

func (r *Report) title(name string, d *doc) string {
	if f, ok := d.field("title", "displaytitle"); ok && plain(f.value) != "" {
		return plain(f.value)
	}
	for _, b := range d.blocks {
		if b.kind == headingBlock && b.level == 1 && !isSectionName(b.text) && plain(b.text) != "" {
			return plain(b.text)
		}
	}
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	if t := plain(strings.NewReplacer("_", " ", "-", " ").Replace(base)); t != "" && base != "." {
		return t
	}
	return "Incident"
}

// date finds the incident's day in a date field, else in the title or
// the file name; "" when none gives a full date.
func (d *doc) date(title, name string) string {
	if f, ok := d.field("date", "incident date", "start"); ok {
		if t, _, ok := leadingDate(plain(f.value)); ok && hasDate(t) {
			return t.Format(time.DateOnly)
		}
	}
	for _, s := range []string{title, filepath.Base(name)} {
		if t, ok := findDate(s); ok {
			return t.Format(time.DateOnly)
		}
	}
	return ""
}

// prose returns a metadata field, else the text of the first section
// whose title is one of names, as markdown.
func (d *doc) prose(tl span, keys, names []string) string {
	if f, ok := d.field(keys...); ok {
		return f.value
	}
	s, ok := d.section(func(t string) bool {
		t = strings.ToLower(strings.TrimSuffix(plain(t), ":"))
		t = strings.TrimSpace(aside.ReplaceAllString(t, ""))
		for _, n := range names {
			if t == n {
				return true
			}
		}
		return false
	})
	if !ok {
		return ""
	}
	return markdown(d.outside(tl, s.start+1, s.end))
}

// outside returns the blocks from i to j that are not part of the timeline.
func (d *doc) outside(tl span, i, j int) []block {
	var out []block
	for k := i; k < j; k++ {
		if !tl.contains(k) {
			out = append(out, d.blocks[k])
		}
	}
	return out
}

// lede is the text before the first heading other than the title, as in
// Wikitech reports whose summary stands under the scorecard.
func (d *doc) lede(tl span) string {
	var lede []block
	for i, b := range d.blocks {
		if tl.contains(i) {
			break
		}
		if b.kind == headingBlock && (b.level > 1 || isSectionName(b.text)) {
			break
		}
		if b.kind == headingBlock || lineField.MatchString(b.text) {
			continue
		}
		lede = append(lede, b)
	}
	return markdown(lede)
}

// maxProse bounds the summary and impact drawn from a report.
const maxProse = 4000

// markdown writes blocks back as markdown paragraphs, lists and rows.
func markdown(blocks []block) string {
	var b strings.Builder
	prev := blankBlock
	for _, bl := range blocks {
		if bl.kind == blankBlock || bl.kind == headingBlock {
			prev = blankBlock
			continue
		}
		switch {
		case b.Len() == 0:
		case prev == blankBlock || bl.kind != prev && prev == textBlock:
			b.WriteString("\n\n")
		case bl.kind == textBlock:
			b.WriteByte(' ')
		default:
			b.WriteByte('\n')
		}
		switch bl.kind {
		case itemBlock:
			b.WriteString(strings.Repeat("  ", min(bl.level-1, 8)) + "- " + bl.text)
		case rowBlock:
			b.WriteString("| " + strings.Join(bl.cells, " | ") + " |")
		default:
			b.WriteString(bl.text)
		}
		prev = bl.kind
		if b.Len() > maxProse {
			break
		}
	}
	return strings.TrimSpace(b.String())
}
