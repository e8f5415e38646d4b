package traffic

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// template is a URL with choices drawn for every request: {a|b|c} is one
// of the words, {1-40} a number in the inclusive range. A literal brace is
// written %7B / %7D, as a URL would anyway.
type template struct {
	parts []part
}

// part is literal text, a choice of words or a range of numbers.
type part struct {
	kind    partKind
	text    string
	choices []string
	lo, hi  int
}

type partKind int

const (
	literal partKind = iota
	words
	numbers
)

// maxChoices bounds the words of one choice and the span of a range, so a
// hostile config cannot make the client allocate without end.
const maxChoices = 10000

func parseTemplate(s string) (template, error) {
	var t template
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			t.parts = append(t.parts, part{kind: literal, text: rest})
			break
		}
		if rest[i] == '}' {
			return t, fmt.Errorf("%q: a } with no { before it (write %%7D for a literal brace)", s)
		}
		if i > 0 {
			t.parts = append(t.parts, part{kind: literal, text: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return t, fmt.Errorf("%q: a { that is not closed (write %%7B for a literal brace)", s)
		}
		p, err := parseChoice(rest[i+1 : i+j])
		if err != nil {
			return t, fmt.Errorf("%q: %v", s, err)
		}
		t.parts = append(t.parts, p)
		rest = rest[i+j+1:]
	}
	if err := CheckURL(t.sample()); err != nil {
		return t, err
	}
	return t, nil
}

// CheckURLTemplate reports whether s is a URL the client can draw
// requests from, choices included; lab validation calls it, so that a lab
// that validates has clients that run.
func CheckURLTemplate(s string) error {
	_, err := parseTemplate(s)
	return err
}

// parseChoice reads what is between braces: "a|b|c" or "1-40".
func parseChoice(s string) (part, error) {
	if a, b, ok := strings.Cut(s, "-"); ok && !strings.Contains(s, "|") {
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if err1 == nil && err2 == nil {
			if lo < 0 || hi < lo || hi-lo > maxChoices*maxChoices {
				return part{}, fmt.Errorf("{%s}: want a range like {1-40}", s)
			}
			return part{kind: numbers, lo: lo, hi: hi}, nil
		}
	}
	ws := strings.Split(s, "|")
	if len(ws) > maxChoices {
		return part{}, fmt.Errorf("{%s…}: more than %d choices", s[:min(len(s), 20)], maxChoices)
	}
	for _, w := range ws {
		if w == "" || strings.ContainsAny(w, " \t\r\n{") {
			return part{}, fmt.Errorf("{%s}: want words like {tea|cup} or a range like {1-40}", s)
		}
	}
	return part{kind: words, choices: ws}, nil
}

// expand draws one URL.
func (t template) expand() string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case words:
			b.WriteString(p.choices[rand.IntN(len(p.choices))])
		case numbers:
			b.WriteString(strconv.Itoa(p.lo + rand.IntN(p.hi-p.lo+1)))
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// sample is the URL with every choice at its first value, to check.
func (t template) sample() string {
	var b strings.Builder
	for _, p := range t.parts {
		switch p.kind {
		case words:
			b.WriteString(p.choices[0])
		case numbers:
			b.WriteString(strconv.Itoa(p.lo))
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}
