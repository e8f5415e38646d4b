package labfile

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Trainer is what a lab tells its trainer and author but not its trainee:
// the cause, in a line and in full, and notes on running the lab. The
// lab's own title and summary are the trainee's and describe the symptom.
type Trainer struct {
	// Title is the cause in one line, e.g. "shop-api 2.8.0 moved its socket".
	Title string `yaml:"title,omitempty" json:"title,omitempty"`
	// Cause tells what went wrong and why, in markdown.
	Cause string `yaml:"cause,omitempty" json:"cause,omitempty"`
	// Notes are for whoever runs the lab: what to watch for, hints to give.
	Notes string `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// Warnings lists what in a valid lab is allowed but probably a mistake,
// each at the line of its field. Today: a trainee's title that repeats the
// key words of the cause, and so gives it away.
func (l *Lab) Warnings() []Problem {
	var out []Problem
	if words := l.CauseWordsInTitle(); len(words) > 0 {
		msg := fmt.Sprintf("warning: repeats the cause's words %s (trainer.title); trainees see this title, "+
			"so name the symptom they meet and keep the cause under trainer:", quoteAll(words))
		out = append(out, l.Problem(msg, "title"))
	}
	return out
}

// CauseWordsInTitle returns the key words of the cause that the trainee's
// title repeats, when they are enough to give the cause away: at least two
// of them, or all of them when the cause has only one. The cause's key
// words are the significant words of trainer.title (or, without one, of
// the first sentence of trainer.cause): no short function words, and no
// names of the lab's services or VMs, which a symptom may name too. Words
// match after folding case and common English endings ("moved" matches
// "moves").
func (l *Lab) CauseWordsInTitle() []string {
	if l.Trainer == nil {
		return nil
	}
	cause := l.causeLine()
	skip := map[string]bool{}
	for _, s := range append(slices.Clone(l.Services), l.VMNames()...) {
		for _, w := range words(s) {
			skip[stem(w)] = true
		}
	}
	inTitle := map[string]bool{}
	for _, w := range significant(l.Title) {
		inTitle[stem(w)] = true
	}
	keys, found := map[string]bool{}, []string{}
	for _, w := range significant(cause) {
		k := stem(w)
		if skip[k] || keys[k] {
			continue
		}
		keys[k] = true
		if inTitle[k] {
			found = append(found, w)
		}
	}
	if len(found) == 0 || len(found) < min(2, len(keys)) {
		return nil
	}
	return found
}

// stopWords are words too common to tell a cause from a symptom.
var stopWords = strings.Fields(`a an the and or but nor of in on at to for by with from into onto over under
	after before since than then that this these those there their them they its it is are was were be been
	being has have had not no all any some every each one two out off up down who what when where which why
	how as so too very can could would should will may might must our your you we he she his her
	get gets got new old now`)

// significant lists the words of s that can carry meaning: any word with
// a digit (a version, a limit), else words of three letters or more that
// are not stop words.
func significant(s string) []string {
	var out []string
	for _, w := range words(s) {
		hasDigit := strings.ContainsFunc(w, unicode.IsDigit)
		if hasDigit || (len([]rune(w)) >= 3 && !slices.Contains(stopWords, w)) {
			out = append(out, w)
		}
	}
	return out
}

// words splits s, lowercased, into words; dots and dashes inside a word
// keep it whole ("shop-api", "2.8.0", "common.yaml").
func words(s string) []string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '-'
	})
	var out []string
	for _, w := range f {
		if w = strings.Trim(w, ".-"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// stem folds one common English ending, so that "moved", "moves" and
// "move" compare equal. Words with digits are kept as written.
func stem(w string) string {
	if strings.ContainsFunc(w, unicode.IsDigit) {
		return w
	}
	for _, suf := range []string{"ing", "ed", "es", "s", "e"} {
		if r := strings.TrimSuffix(w, suf); r != w && len(r) >= 3 {
			return r
		}
	}
	return w
}

// firstSentence is s up to its first full stop followed by a space, or
// its first blank line.
func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i]
	}
	return s
}

func quoteAll(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = fmt.Sprintf("%q", w)
	}
	return strings.Join(q, ", ")
}
