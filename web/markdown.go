package web

import (
	"html"
	"html/template"
	"regexp"
	"strings"

	"github.com/vlab-dev/vlab/internal/termtext"
)

// The small part of markdown labs write (paragraphs, bullets, quotes,
// fenced code, `code`, **bold**, *emphasis*), as HTML. Everything is
// escaped first; only these tags are added.
var (
	mdCode   = regexp.MustCompile("`([^`]+)`")
	mdBold   = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdItalic = regexp.MustCompile(`\*([^*\s][^*]*)\*`)
)

func inline(s string) string {
	s = html.EscapeString(s)
	s = mdCode.ReplaceAllString(s, "<code>$1</code>")
	s = mdBold.ReplaceAllString(s, "<strong>$1</strong>")
	return mdItalic.ReplaceAllString(s, "<em>$1</em>")
}

// markdown renders md (a lab's text) as HTML.
func markdown(md string) template.HTML {
	var b strings.Builder
	var para []string
	list, quote, fence := false, false, false
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + inline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
		if list {
			b.WriteString("</ul>\n")
			list = false
		}
		if quote {
			b.WriteString("</blockquote>\n")
			quote = false
		}
	}
	for _, line := range strings.Split(termtext.Text(md), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "```"):
			flush()
			if fence {
				b.WriteString("</pre>\n")
			} else {
				b.WriteString("<pre>")
			}
			fence = !fence
		case fence:
			b.WriteString(html.EscapeString(line) + "\n")
		case t == "":
			flush()
		case strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			if len(para) > 0 || quote {
				flush()
			}
			if !list {
				b.WriteString("<ul>\n")
				list = true
			}
			b.WriteString("<li>" + inline(t[2:]) + "</li>\n")
		case strings.HasPrefix(t, ">"):
			if !quote {
				flush()
				b.WriteString("<blockquote>")
				quote = true
			}
			b.WriteString(inline(strings.TrimSpace(strings.TrimPrefix(t, ">"))) + " ")
		default:
			if list {
				flush()
			}
			para = append(para, t)
		}
	}
	if fence {
		b.WriteString("</pre>\n")
	}
	flush()
	return template.HTML(b.String())
}
