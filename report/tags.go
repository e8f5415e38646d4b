package report

import (
	"regexp"
	"slices"
	"strings"

	"github.com/vlab-dev/vlab/labfile"
)

// tag is an author's mark on a timeline entry: [inject:KIND], or
// [inject] to let vlab guess the kind.
type tag struct {
	set  bool
	kind string // as written, lowercased; "" when the author left it out
}

// or keeps t when it is set, else u: the first tag of an entry wins.
func (t tag) or(u tag) tag {
	if t.set {
		return t
	}
	return u
}

// tagPattern matches an inject tag, optionally in code spans or in an
// HTML comment so that it stays out of the rendered report.
var tagPattern = regexp.MustCompile("(?i)(?:<!--\\s*)?`?\\[inject(?:\\s*:\\s*([a-z][a-z -]{0,30}?))?\\s*\\]`?(?:\\s*-->)?")

// cutTag removes every inject tag from s and returns the first one.
func cutTag(s string) (string, tag) {
	m := tagPattern.FindStringSubmatch(s)
	if m == nil {
		return s, tag{}
	}
	kind := strings.ToLower(strings.TrimSpace(m[1]))
	kind = strings.Join(strings.Fields(kind), "-")
	rest := tagPattern.ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(rest), " "), tag{set: true, kind: kind}
}

// tagCell reads the cell of a timeline table's inject column: a tag, a
// bare kind, or a mark such as "x" or "yes".
func tagCell(cell string) tag {
	if _, t := cutTag(cell); t.set {
		return t
	}
	c := strings.ToLower(strings.Join(strings.Fields(plain(cell)), "-"))
	switch c {
	case "", "-", "no", "n":
		return tag{}
	case "x", "yes", "y", "inject", "✓", "✔":
		return tag{set: true}
	}
	return tag{set: true, kind: c}
}

// kindAliases are other names authors use for the inject kinds.
var kindAliases = map[string]string{
	"user":         "user-report",
	"report":       "user-report",
	"userreport":   "user-report",
	"user-reports": "user-report",
	"alerts":       "alert",
	"paging":       "page",
	"logs":         "log",
	"irc":          "chat",
	"slack":        "chat",
	"dashboard":    "graph",
	"trigger":      "cause",
	"mitigation":   "fix",
	"resolution":   "fix",
}

// knownKind returns the inject kind a tag names.
func knownKind(kind string) (string, bool) {
	if k, ok := kindAliases[kind]; ok {
		kind = k
	}
	return kind, slices.Contains(labfile.InjectKinds, kind)
}
