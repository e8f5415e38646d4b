// Package termtext makes text that vlab did not write itself (a lab's
// titles and steps, a guest's output, a console log) safe to print on a
// terminal: escape sequences that could retitle the window, write the
// clipboard (OSC 52), redraw the screen or hide lines are removed whole,
// not left half-printed, and so are the other control characters and the
// Unicode bidi overrides that make text read differently than it is.
package termtext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Line returns s as one line of plain text: escape sequences and control
// characters removed, and line breaks and tabs turned into spaces.
func Line(s string) string { return clean(s, false) }

// Text returns s as plain text of one or more lines: escape sequences
// and control characters removed, newlines and tabs kept. A carriage
// return is removed, so a line cannot be overwritten by the next.
func Text(s string) string { return clean(s, true) }

const (
	esc = 0x1b
	bel = 0x07
	can = 0x18 // cancels a sequence
	sub = 0x1a // cancels a sequence
)

// C1 controls that start sequences, as Unicode code points.
const (
	c1DCS = 0x90
	c1SOS = 0x98
	c1CSI = 0x9b
	c1OSC = 0x9d
	c1PM  = 0x9e
	c1APC = 0x9f
)

func clean(s string, multiline bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == esc:
			i += escape(s[i:])
			continue
		case r == c1CSI:
			i += n + csi(s[i+n:])
			continue
		case r == c1OSC || r == c1DCS || r == c1SOS || r == c1PM || r == c1APC:
			i += n + controlString(s[i+n:])
			continue
		case r == '\n' || r == '\t':
			if multiline {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case !unicode.IsControl(r) && !isBidiControl(r):
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// escape returns the length of the sequence starting with ESC at s[0].
func escape(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch c := s[1]; {
	case c == '[':
		return 2 + csi(s[2:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_':
		return 2 + controlString(s[2:])
	case c >= 0x20 && c <= 0x2f: // intermediates, then a final byte: ESC ( B
		n := 2
		for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
			n++
		}
		if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
			n++
		}
		return n
	case c >= 0x30 && c <= 0x7e: // ESC c (reset), ESC 7, ESC M, ...
		return 2
	}
	return 1 // a lone ESC; what follows is read as text
}

// csi returns the length of a control sequence's body: parameter and
// intermediate bytes, then the final byte when there is one.
func csi(s string) int {
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x3f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// controlString returns the length of an OSC, DCS, SOS, PM or APC string
// up to and including its terminator (BEL, ESC \ or ST). A string cut
// short by ESC, CAN or SUB ends there; one never terminated runs to the
// end of s, as it would swallow the rest on a terminal.
func controlString(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case bel:
			return i + 1
		case esc:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i
		case can, sub:
			return i + 1
		case 0xc2: // UTF-8 lead byte of ST, U+009C
			if i+1 < len(s) && s[i+1] == 0x9c {
				return i + 2
			}
		}
	}
	return len(s)
}

// isBidiControl reports the embeddings, overrides and isolates of the
// Unicode bidi algorithm, which reorder what a terminal shows.
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// Count returns n and the noun, in the plural unless n is 1: "1 VM",
// "3 VMs", "0 trainees".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
