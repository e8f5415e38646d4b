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

// clues are the words that suggest an inject kind, tried in order: a
// page is also an alert, and a revert also mentions the deploy it undoes.
var clues = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"page", words(`paged?`, `pag(?:ing|er)\w*`, `pagerduty`, `on-?call`, `victorops`, `opsgenie`, `klaxon`)},
	{"user-report", words(`users? reports?`, `reported by`, `users? (?:complain|notice|report)\w*`, `complain\w*`, `tickets?`, `customers?`, `bug reports?`, `tweets?`)},
	{"alert", words(`alert\w*`, `icinga`, `nagios`, `alertmanager`, `fir(?:es|ed|ing)`, `triggered`, `monitoring`)},
	{"fix", words(`revert\w*`, `roll(?:ed)? ?back`, `rollback`, `restart\w*`, `fix\w*`, `resolved`, `mitigat\w*`, `recover\w*`, `depool\w*`, `outage ends`, `back to (?:normal|baseline)`, `normal again`)},
	{"cause", words(`deploy\w*`, `merged?`, `scap`, `upgrade\w*`, `config(?:uration)? change`, `root cause`, `cause[ds]?`)},
	{"chat", words(`irc`, `slack`, `channel`, `#[a-z-]+`, `asks?`, `asked`, `said`, `discuss\w*`)},
	{"graph", words(`graphs?`, `dashboards?`, `grafana`, `spikes?`, `latency`, `metrics?`, `traffic`)},
	{"log", words(`logs?`, `logstash`, `kibana`, `exceptions?`, `stack ?traces?`, `error messages?`)},
}

func words(alts ...string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^\w#-])(?:` + strings.Join(alts, "|") + `)(?:$|[^\w-])`)
}

// maxGuessText bounds how much of an entry is read to guess its kind:
// the words that tell come first.
const maxGuessText = 1000

// guessKind picks an inject kind from an entry's words; "hint" when
// nothing stands out.
func guessKind(text string) string {
	text = plain(text[:min(len(text), maxGuessText)])
	for _, c := range clues {
		if c.re.MatchString(text) {
			return c.kind
		}
	}
	return "hint"
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
