package report

import (
	"regexp"
	"strings"
)

var (
	wikiHeading = regexp.MustCompile(`^(={1,6})\s*(.*?)\s*(={1,6})\s*$`)
	wikiItem    = regexp.MustCompile(`^([*#:;]+)\s*(.*)$`)
	magicWord   = regexp.MustCompile(`^__[A-Z]+__$`)
)

// maxTemplateLines bounds how far a template left open is looked for.
const maxTemplateLines = 200

// scanWikitext reads MediaWiki markup: = headings =, * and # lists,
// : indents, ; terms, {| tables |} and {{templates}} whose parameters
// become metadata fields.
func (d *doc) scanWikitext(lines []string) {
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case t == "" || magicWord.MatchString(t):
			d.add(block{kind: blankBlock, line: i + 1})
		case strings.HasPrefix(t, "{|"):
			i = d.wikiTable(lines, i)
		case strings.HasPrefix(t, "{{") && i >= d.plainUntil && d.template(lines, &i):
		default:
			d.add(wikiLine(t, i+1))
		}
	}
}

// wikiLine classifies one line of wikitext outside tables and templates.
func wikiLine(t string, line int) block {
	if m := wikiHeading.FindStringSubmatch(t); m != nil && m[2] != "" {
		return block{kind: headingBlock, line: line, level: min(len(m[1]), len(m[3])), text: wikiInline(m[2])}
	}
	m := wikiItem.FindStringSubmatch(t)
	if m == nil {
		return boldHeading(block{kind: textBlock, line: line, text: wikiInline(t)})
	}
	text := wikiInline(m[2])
	switch m[1][len(m[1])-1] {
	case ':':
		return block{kind: textBlock, line: line, indent: len(m[1]), text: text}
	case ';':
		term, def, _ := strings.Cut(text, ":")
		return boldHeading(block{kind: textBlock, line: line, text: strings.TrimSpace("**" + strings.TrimSpace(term) + "** " + def)})
	}
	return block{kind: itemBlock, line: line, level: len(m[1]), text: text}
}

// template reads a template standing on its own line(s), such as an
// infobox, into fields, and moves *i to its last line. It returns false
// when the template is part of a line of text.
func (d *doc) template(lines []string, i *int) bool {
	start, depth := *i, 0
	for j := start; j < len(lines) && j < start+maxTemplateLines; j++ {
		depth += strings.Count(lines[j], "{{") - strings.Count(lines[j], "}}")
		if depth > 0 {
			// Left open: the lines it spans are text, not templates.
			d.plainUntil = j + 1
			continue
		}
		s := strings.TrimSpace(strings.Join(lines[start:j+1], "\n"))
		if !strings.HasSuffix(s, "}}") || len(s) < 4 {
			return false
		}
		d.templateFields(s[2:len(s)-2], start+1)
		*i = j
		return true
	}
	return false
}

// templateFields keeps a template's named parameters, and the title of a
// DISPLAYTITLE magic word.
func (d *doc) templateFields(inner string, line int) {
	parts := splitTop(inner, "|")
	if name, title, ok := strings.Cut(parts[0], ":"); ok && strings.EqualFold(strings.TrimSpace(name), "displaytitle") {
		d.setField("title", wikiInline(title), line)
	}
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(p, "="); ok {
			d.setField(k, wikiInline(v), line)
		}
	}
}

// wikiTable reads a {| table |} starting at lines[i] into row blocks and
// returns the index of its last line.
func (d *doc) wikiTable(lines []string, i int) int {
	var row *block
	flush := func() {
		if row != nil && len(row.cells) > 0 {
			d.add(*row)
		}
		row = nil
	}
	for i++; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(t, "|}"):
			flush()
			return i
		case strings.HasPrefix(t, "|-"), strings.HasPrefix(t, "|+"), t == "":
			flush()
		case strings.HasPrefix(t, "!"), strings.HasPrefix(t, "|"):
			if row == nil {
				row = &block{kind: rowBlock, line: i + 1, head: t[0] == '!'}
			}
			row.cells = append(row.cells, wikiCells(t[1:])...)
		case row != nil && len(row.cells) > 0:
			row.cells[len(row.cells)-1] += " " + wikiInline(t)
		}
	}
	flush()
	return len(lines) - 1
}

// wikiCells splits "a || b" or "a !! b" and drops cell attributes
// ("style=... | text").
func wikiCells(t string) []string {
	var cells []string
	for _, c := range splitTop(strings.ReplaceAll(t, "!!", "||"), "||") {
		if parts := splitTop(c, "|"); len(parts) > 1 {
			c = strings.Join(parts[1:], "|")
		}
		cells = append(cells, wikiInline(c))
	}
	return cells
}

// splitTop splits s at sep outside [[links]] and {{templates}}.
func splitTop(s, sep string) []string {
	var parts []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "[[") || strings.HasPrefix(s[i:], "{{"):
			depth++
			i++
		case (strings.HasPrefix(s[i:], "]]") || strings.HasPrefix(s[i:], "}}")) && depth > 0:
			depth--
			i++
		case depth == 0 && strings.HasPrefix(s[i:], sep):
			parts = append(parts, s[last:i])
			last = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(parts, s[last:])
}

var (
	wikiTemplate = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
	wikiLink     = regexp.MustCompile(`\[\[([^\[\]|]*)(?:\|([^\[\]]*))?\]\]`)
	wikiExtLink  = regexp.MustCompile(`\[((?:https?:)?//[^\s\]]+)(?:\s+([^\]]*))?\]`)
	wikiCode     = regexp.MustCompile(`(?is)<(code|tt|kbd|syntaxhighlight|pre)(?:\s[^>]*)?>(.*?)</(?:code|tt|kbd|syntaxhighlight|pre)>`)
	wikiStrike   = regexp.MustCompile(`(?i)</?(?:s|del|strike)>`)
	wikiBreak    = regexp.MustCompile(`(?i)<br\s*/?>`)
	wikiRef      = regexp.MustCompile(`(?is)<ref[^>/]*/>|<ref[^>]*>.*?</ref>`)
	wikiNowiki   = regexp.MustCompile(`(?i)</?nowiki\s*/?>`)
)

// maxTemplateDepth bounds how deeply nested templates are unwrapped.
const maxTemplateDepth = 8

// wikiInline turns inline wikitext into markdown: links keep their label,
// external links become [label](url), ”'bold”' and ”italic” become
// ** and *, <code> becomes `code`, and a template becomes its last
// unnamed argument (or its name when it has none).
func wikiInline(s string) string {
	s = wikiRef.ReplaceAllString(s, "")
	s = wikiNowiki.ReplaceAllString(s, "")
	for range maxTemplateDepth {
		next := wikiTemplate.ReplaceAllStringFunc(s, templateText)
		if next == s {
			break
		}
		s = next
	}
	s = wikiLink.ReplaceAllStringFunc(s, linkText)
	s = wikiExtLink.ReplaceAllStringFunc(s, func(l string) string {
		m := wikiExtLink.FindStringSubmatch(l)
		if strings.TrimSpace(m[2]) == "" {
			return "<" + m[1] + ">"
		}
		return "[" + strings.TrimSpace(m[2]) + "](" + m[1] + ")"
	})
	s = strings.NewReplacer("'''''", "***", "'''", "**", "''", "*").Replace(s)
	s = wikiCode.ReplaceAllString(s, "`$2`")
	s = wikiStrike.ReplaceAllString(s, "~~")
	s = wikiBreak.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

func templateText(t string) string {
	parts := strings.Split(strings.Trim(t, "{}"), "|")
	for i := len(parts) - 1; i > 0; i-- {
		if !strings.Contains(parts[i], "=") && strings.TrimSpace(parts[i]) != "" {
			return strings.TrimSpace(parts[i])
		}
	}
	if strings.Contains(parts[0], ":") {
		return ""
	}
	return strings.TrimSpace(parts[0])
}

func linkText(l string) string {
	m := wikiLink.FindStringSubmatch(l)
	target := strings.TrimSpace(m[1])
	lower := strings.ToLower(target)
	if strings.HasPrefix(lower, "category:") || strings.HasPrefix(lower, "file:") || strings.HasPrefix(lower, "image:") {
		return ""
	}
	if strings.TrimSpace(m[2]) != "" {
		return strings.TrimSpace(m[2])
	}
	return strings.TrimPrefix(target, ":")
}
