package incident

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// RenderOptions say how text is drawn for a terminal.
type RenderOptions struct {
	// Width is the number of columns to wrap to; 80 when zero.
	Width int
	// Color turns on ANSI styles; the CLI sets it when stdout is a terminal.
	Color bool
}

func (o RenderOptions) width() int {
	if o.Width <= 0 {
		return 80
	}
	return max(o.Width, 20)
}

const (
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

func (o RenderOptions) style(code, s string) string {
	if !o.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

var (
	heading   = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	listItem  = regexp.MustCompile(`^(\s*)([-*+]|\d{1,3}[.)])\s+(.*)$`)
	quote     = regexp.MustCompile(`^\s*>\s?(.*)$`)
	rule      = regexp.MustCompile(`^\s*(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,})$`)
	fence     = regexp.MustCompile("^\\s*(```|~~~)")
	boldSpan  = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	codeSpan  = regexp.MustCompile("`([^`]+)`")
	linkSpan  = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	ansiCodes = regexp.MustCompile(`\x1b\[[0-9;]*m`)
)

// mdWriter turns markdown into wrapped terminal lines.
type mdWriter struct {
	o     RenderOptions
	lines []string
	// para collects the lines of the current paragraph or list item.
	para        []string
	first, rest string // prefixes of its first and following lines
}

// Markdown writes md as terminal text: paragraphs and list items wrapped
// to the width, headings set apart, code blocks and tables kept as they
// are, links spelled out.
func Markdown(w io.Writer, md string, o RenderOptions) error {
	m := &mdWriter{o: o}
	inFence := false
	for _, line := range strings.Split(termtext.Text(md), "\n") {
		line = strings.TrimRight(line, " \t\r")
		switch {
		case fence.MatchString(line):
			m.flush()
			inFence = !inFence
		case inFence:
			m.code(line)
		default:
			m.line(line)
		}
	}
	m.flush()
	for len(m.lines) > 0 && m.lines[len(m.lines)-1] == "" {
		m.lines = m.lines[:len(m.lines)-1]
	}
	if len(m.lines) == 0 {
		return nil
	}
	_, err := io.WriteString(w, strings.Join(m.lines, "\n")+"\n")
	return err
}

func (m *mdWriter) line(line string) {
	if g := heading.FindStringSubmatch(line); g != nil {
		m.flush()
		m.heading(len(g[1]), g[2])
		return
	}
	if g := listItem.FindStringSubmatch(line); g != nil && !rule.MatchString(line) {
		m.flush()
		marker := g[2]
		if len(marker) == 1 && strings.Contains("-*+", marker) {
			marker = "-"
		}
		m.first = "  " + g[1] + marker + " "
		m.rest = strings.Repeat(" ", utf8.RuneCountInString(m.first))
		m.para = append(m.para, g[3])
		return
	}
	switch {
	case line == "":
		m.flush()
		m.blank()
	case rule.MatchString(line):
		m.flush()
		m.lines = append(m.lines, m.o.style(ansiDim, strings.Repeat("─", min(m.o.width(), 40))))
	case strings.HasPrefix(line, "    ") || strings.HasPrefix(line, "\t"):
		if len(m.para) > 0 { // a continuation of a list item or paragraph
			m.para = append(m.para, strings.TrimSpace(line))
			return
		}
		m.code(strings.TrimPrefix(strings.TrimPrefix(line, "    "), "\t"))
	case strings.HasPrefix(strings.TrimSpace(line), "|"):
		m.flush()
		m.lines = append(m.lines, line)
	case quote.MatchString(line):
		if len(m.para) == 0 || m.first != "│ " {
			m.flush()
			m.first, m.rest = "│ ", "│ "
		}
		m.para = append(m.para, quote.FindStringSubmatch(line)[1])
	default:
		m.para = append(m.para, strings.TrimSpace(line))
	}
}

func (m *mdWriter) blank() {
	if len(m.lines) > 0 && m.lines[len(m.lines)-1] != "" {
		m.lines = append(m.lines, "")
	}
}

func (m *mdWriter) heading(level int, text string) {
	m.blank()
	text = m.inline(text)
	switch {
	case m.o.Color:
		m.lines = append(m.lines, ansiBold+text+ansiReset)
	case level <= 2:
		under := "="
		if level == 2 {
			under = "-"
		}
		m.lines = append(m.lines, text, strings.Repeat(under, visibleWidth(text)))
	default:
		m.lines = append(m.lines, text)
	}
	m.lines = append(m.lines, "")
}

func (m *mdWriter) code(line string) {
	m.lines = append(m.lines, "    "+m.o.style(ansiCyan, line))
}

// flush wraps the paragraph or list item collected so far.
func (m *mdWriter) flush() {
	if len(m.para) == 0 {
		m.first, m.rest = "", ""
		return
	}
	text := m.inline(strings.Join(m.para, " "))
	m.lines = append(m.lines, wrap(text, m.o.width(), m.first, m.rest)...)
	m.para, m.first, m.rest = nil, "", ""
}

// inline renders bold, code spans and links within a line.
func (m *mdWriter) inline(s string) string {
	s = linkSpan.ReplaceAllStringFunc(s, func(l string) string {
		g := linkSpan.FindStringSubmatch(l)
		if g[1] == g[2] {
			return g[2]
		}
		return fmt.Sprintf("%s <%s>", g[1], g[2])
	})
	if m.o.Color {
		s = codeSpan.ReplaceAllString(s, ansiCyan+"$1"+ansiReset)
		return boldSpan.ReplaceAllString(s, ansiBold+"$1"+ansiReset)
	}
	return boldSpan.ReplaceAllString(s, "$1")
}

// wrap breaks text into lines of at most width visible columns, the first
// starting with first and the others with rest. A word longer than a line,
// such as a URL, gets a line of its own rather than being cut.
func wrap(text string, width int, first, rest string) []string {
	var lines []string
	cur, prefix := "", first
	curW := visibleWidth(prefix)
	for _, word := range strings.Fields(text) {
		ww := visibleWidth(word)
		if cur != "" && curW+1+ww > width {
			lines = append(lines, prefix+cur)
			cur, prefix = "", rest
			curW = visibleWidth(prefix)
		}
		if cur != "" {
			cur += " "
			curW++
		}
		cur += word
		curW += ww
	}
	return append(lines, prefix+cur)
}

// visibleWidth counts the columns s takes, leaving out ANSI styles.
func visibleWidth(s string) int {
	return utf8.RuneCountInString(ansiCodes.ReplaceAllString(s, ""))
}
