package report

import (
	"strings"
	"testing"
	"time"
)

// TestLargeInputs feeds Parse inputs that made earlier versions take
// quadratic time; each should take well under a second.
func TestLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	big := 256 << 10
	for name, s := range map[string]string{
		"templates":    strings.Repeat("{{a\n", big/4),
		"title-digits": "# " + strings.Repeat("2024-01-0", big/9) + "\n## Timeline\n- 10:00 x",
		"wikilinks":    "==Timeline==\n* 10:00 " + strings.Repeat("[[a|", big/4),
		"nested-bold":  "## Timeline\n- " + strings.Repeat("**", big/2) + "10:00",
		"nested-mix":   "## Timeline\n- " + strings.Repeat("*_`", big/3) + "10:00",
		"link-unwrap":  "## Timeline\n- " + strings.Repeat("[", big/2) + "](",
		"bullets":      "## Timeline\n" + strings.Repeat("- 10:00 x\n  - y\n", big/16),
		"deep-list":    "## Timeline\n" + strings.Repeat(" ", 1) + strings.Repeat("- 10:00 x\n", big/10),
		"indent-list":  indentedList(3000),
		"tables":       "## Timeline\n" + strings.Repeat("|a|b|\n|-|-|\n", big/12),
		"wikitable":    "==Timeline==\n{|\n" + strings.Repeat("|a||b||c\n", big/9),
		"headings":     strings.Repeat("## Timeline\n", big/12),
		"comments":     strings.Repeat("<!--", big/4),
		"tags":         "## Timeline\n- 10:00 " + strings.Repeat("[inject:alert]", big/14),
		"dates":        "## Timeline\n" + strings.Repeat("- March 5\n", big/10),
		"fields":       strings.Repeat("**Date:** 2024-01-01\n", big/21),
		"frontmatter":  "---\n" + strings.Repeat("a: b\n", big/5),
	} {
		start := time.Now()
		_, _ = Parse(name+".md", []byte(s), "")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s", name, d)
		}
	}
}

func indentedList(n int) string {
	var b strings.Builder
	b.WriteString("## Timeline\n")
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "- a\n")
	}
	return b.String()
}
