package report

import (
	"regexp"
	"strings"
)

// blockKind is what a line of a report is, once markup is read.
type blockKind int

const (
	blankBlock blockKind = iota
	headingBlock
	itemBlock // a list item
	rowBlock  // a table row
	textBlock
)

// block is one line of a report, or one table row, with its inline markup
// turned into markdown so that the rest of the package reads one syntax.
type block struct {
	kind   blockKind
	line   int
	level  int      // heading level (boldLevel for a bold line naming a section); list depth from 1
	indent int      // leading spaces of a text line
	text   string   // markdown
	cells  []string // table row cells, markdown
	head   bool     // the header row of a table
}

// boldLevel is the heading level of a bold line such as "**Timeline**",
// below every real heading.
const boldLevel = 7

// field is a metadata value such as "Date: 2024-03-05", from front matter,
// a template parameter or a "Key: value" line.
type field struct {
	value string
	line  int
}

// doc is a scanned report.
type doc struct {
	format Format
	blocks []block
	fields map[string]field
	// plainUntil is the first line after a template left open; the lines
	// before it start no template.
	plainUntil int
}

func (d *doc) add(b block) { d.blocks = append(d.blocks, b) }

// setField keeps the first value given for a key.
func (d *doc) setField(key, value string, line int) {
	key = strings.ToLower(strings.TrimSpace(key))
	value = strings.TrimSpace(value)
	if _, ok := d.fields[key]; !ok && value != "" {
		d.fields[key] = field{value, line}
	}
}

func (d *doc) field(keys ...string) (field, bool) {
	for _, k := range keys {
		if f, ok := d.fields[k]; ok {
			return f, true
		}
	}
	return field{}, false
}

// scan splits text into blocks according to format.
func scan(format Format, text string) *doc {
	d := &doc{format: format, fields: map[string]field{}}
	lines := strings.Split(stripComments(text), "\n")
	if format == Wikitext {
		d.scanWikitext(lines)
	} else {
		d.scanMarkdown(lines)
	}
	return d
}

var comment = regexp.MustCompile(`(?s)<!--.*?-->`)

// stripComments removes HTML comments but keeps the inject tags in them
// and the line count.
func stripComments(text string) string {
	return comment.ReplaceAllStringFunc(text, func(c string) string {
		tags := strings.Join(tagPattern.FindAllString(c, -1), " ")
		return tags + strings.Repeat("\n", strings.Count(c, "\n"))
	})
}

var (
	mdHeading   = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$`)
	mdDelimRow  = regexp.MustCompile(`^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$`)
	mdItem      = regexp.MustCompile(`^(\s*)(?:[-*+]|\d{1,9}[.)])\s+(.*)$`)
	mdRule      = regexp.MustCompile(`^(?:(?:\*\s*){3,}|(?:-\s*){3,}|(?:_\s*){3,})$`)
	mdSetext    = regexp.MustCompile(`^(=+|-+)\s*$`)
	boldLine    = regexp.MustCompile(`^(?:\*\*|__)(.+?)(?:\*\*|__):?$`)
	frontMatter = regexp.MustCompile(`^([A-Za-z][\w -]*):\s*(.*)$`)
)

// scanMarkdown reads CommonMark-ish markdown: ATX and setext headings,
// bullet and numbered lists, pipe tables, fenced code and front matter.
func (d *doc) scanMarkdown(lines []string) {
	i := d.frontMatter(lines)
	var fence string
	var indents []int
	inTable := false
	for ; i < len(lines); i++ {
		raw := strings.ReplaceAll(lines[i], "\t", "    ")
		t := strings.TrimSpace(raw)
		b := block{kind: textBlock, line: i + 1, text: t, indent: len(raw) - len(strings.TrimLeft(raw, " "))}
		switch {
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
		case strings.HasPrefix(t, "```"), strings.HasPrefix(t, "~~~"):
			fence = t[:3]
		case t == "":
			b.kind, inTable = blankBlock, false
		case strings.Contains(t, "|") && (inTable || i+1 < len(lines) && mdDelimRow.MatchString(strings.TrimSpace(lines[i+1]))):
			if mdDelimRow.MatchString(t) {
				continue
			}
			b.kind, b.cells, b.head = rowBlock, splitRow(t), !inTable
			inTable = true
		case mdSetext.MatchString(t) && d.setext(i+1, t):
			continue
		case mdRule.MatchString(t):
			b.kind = blankBlock
		default:
			inTable = false
			b = d.markdownLine(b, raw, &indents)
		}
		d.add(b)
	}
}

// markdownLine classifies a line that is not part of a table, fence or rule.
func (d *doc) markdownLine(b block, raw string, indents *[]int) block {
	if m := mdHeading.FindStringSubmatch(raw); m != nil {
		*indents = nil
		return block{kind: headingBlock, line: b.line, level: len(m[1]), text: m[2]}
	}
	if m := mdItem.FindStringSubmatch(raw); m != nil {
		b.kind, b.text, b.level = itemBlock, strings.TrimSpace(m[2]), listDepth(indents, len(m[1]))
		return b
	}
	return boldHeading(b)
}

// boldHeading turns a text line that is only a bold section name into a heading.
func boldHeading(b block) block {
	if m := boldLine.FindStringSubmatch(b.text); m != nil && isSectionName(m[1]) {
		return block{kind: headingBlock, line: b.line, level: boldLevel, text: m[1]}
	}
	return b
}

// listDepth turns an item's indentation into a depth from 1, remembering
// the indentation of the open lists in indents.
func listDepth(indents *[]int, indent int) int {
	s := *indents
	for len(s) > 0 && s[len(s)-1] > indent {
		s = s[:len(s)-1]
	}
	if len(s) == 0 || s[len(s)-1] < indent {
		s = append(s, indent)
	}
	*indents = s
	return len(s)
}

// setext turns the text line just before an underline into a heading.
func (d *doc) setext(line int, underline string) bool {
	n := len(d.blocks)
	if n == 0 || d.blocks[n-1].kind != textBlock || d.blocks[n-1].line != line-1 {
		return false
	}
	level := 1
	if underline[0] == '-' {
		level = 2
	}
	prev := d.blocks[n-1]
	d.blocks[n-1] = block{kind: headingBlock, line: prev.line, level: level, text: prev.text}
	return true
}

// frontMatter reads a leading "---" block of "key: value" lines and returns
// the index of the first line after it.
func (d *doc) frontMatter(lines []string) int {
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return 0
	}
	for i := 1; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "---" || t == "..." {
			return i + 1
		}
		if m := frontMatter.FindStringSubmatch(t); m != nil {
			d.setField(m[1], strings.Trim(m[2], `"'`), i+1)
		}
	}
	return 0
}

// splitRow splits a markdown table row into trimmed cells; "\|" is a
// literal bar.
func splitRow(t string) []string {
	t = strings.TrimSuffix(strings.TrimPrefix(t, "|"), "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(t); i++ {
		switch {
		case t[i] == '\\' && i+1 < len(t) && t[i+1] == '|':
			cur.WriteByte('|')
			i++
		case t[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(t[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}
