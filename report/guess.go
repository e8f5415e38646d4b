package report

import (
	"regexp"
	"strings"
)

// A kind is guessed in three steps: who speaks (a monitoring system, a
// user, a colleague), then whether the entry starts or causes the outage
// (then it is never a fix), then the words of each kind in the order of
// clues. testdata/kinds.txt measures it.

// clues are the words that suggest an inject kind, tried in order: a
// page is also an alert, and a revert also mentions the deploy it undoes.
var clues = []struct {
	kind string
	re   *regexp.Regexp
}{
	{"page", words(`paged`, `pages (?:go|went|are sent|sent|for|about)`, `pag(?:ing|er)\w*`, `pagerduty`, `victorops`, `opsgenie`, `klaxon`, `escalat\w*`, `acknowledg\w*`)},
	{"user-report", words(`users? reports?`, `reported by`, `users? (?:complain|notice|report)\w*`, `complain\w*`, `tickets?`, `customers?`, `bug reports?`, `tweets?`, `support`)},
	{"alert", words(`alert\w*`, `icinga`, `nagios`, `alertmanager`, `fir(?:es|ed|ing)`, `triggered`, `monitoring`, `health ?checks?`, `unhealthy`, `synthetic`, `critical`)},
	{"fix", fixWords},
	{"cause", causeWords},
	{"chat", words(`irc`, `slack`, `channel`, `#[a-z-]+`, `asks?`, `asked`, `said`, `discuss\w*`)},
	{"graph", words(`graphs?`, `dashboards?`, `grafana`, `spikes?`, `latency`, `metrics?`, `traffic`, `cpu`, `p\d\d`)},
	{"log", logWords},
}

var (
	fixWords   = words(`revert\w*`, `roll(?:ed)? ?back`, `rollback`, `restart\w*`, `fix\w*`, `resolved`, `mitigat\w*`, `recover\w*`, `depool\w*`, `renew\w*`, `outage ends`, `back to (?:normal|baseline)`, `normal again`)
	causeWords = words(`deploy\w*`, `merged?`, `scap`, `upgrade\w*`, `install(?:s|ed)?`, `config(?:uration)? change`, `schema change`, `migrations?`, `rollout`, `expir\w*`, `root cause`, `cause[ds]?`, `causing`)
	logWords   = words(`logs?`, `logstash`, `kibana`, `journal\w*`, `exceptions?`, `stack ?traces?`, `error messages?`)
	// weakFix are fix words that also describe what a change does ("the
	// upgrade restarts the servers"): after a cause word they are not a fix.
	weakFix = words(`restart\w*`, `fix\w*`)
	// startsOutage marks the entry that starts or causes the outage.
	startsOutage = words(`outage (?:begins|starts|began|started)`, `(?:incident|impact|errors?|failures?) (?:begins?|starts?|began|started)`,
		`start of (?:the )?(?:outage|impact)`, `caus(?:es|ing)`, `breaks`, `broke`)
)

// words matches any of alts as whole words; a space in an alternative
// matches any run of spaces, " ?" also none.
func words(alts ...string) *regexp.Regexp {
	spaced := make([]string, len(alts))
	for i, a := range alts {
		spaced[i] = strings.NewReplacer(" ?", `\s*`, " ", `\s+`).Replace(a)
	}
	return regexp.MustCompile(`(?i)(?:^|[^\w#-])(?:` + strings.Join(spaced, "|") + `)(?:$|[^\w-])`)
}

// maxGuessText bounds how much of an entry is read to guess its kind:
// the words that tell come first.
const maxGuessText = 1000

// guessKind picks an inject kind from an entry's words; "hint" when
// nothing stands out.
func guessKind(text string) string {
	text = plain(text[:min(len(text), maxGuessText)])
	if k := speakerKind(text); k != "" {
		return k
	}
	starts := startsOutage.MatchString(text)
	for _, c := range clues {
		if c.kind == "fix" && (starts || weakFixAfterCause(text)) {
			continue
		}
		if c.re.MatchString(text) {
			return c.kind
		}
	}
	return "hint"
}

// weakFixAfterCause is true when the only fix words are weak ones that
// come after a cause word: "the upgrade installs openssl and restarts nginx".
func weakFixAfterCause(text string) bool {
	fix := fixWords.FindStringIndex(text)
	if fix == nil || !weakFix.MatchString(text[fix[0]:min(fix[1]+1, len(text))]) {
		return false
	}
	cause := causeWords.FindStringIndex(text)
	return cause != nil && cause[0] < fix[0]
}

// speech is a verb of telling near the start of an entry; what stands
// before it says who tells.
var speech = regexp.MustCompile(`(?i)^(.{0,60}?)\s+(?:notic(?:es?|ed)|reports?|reported|alert(?:s|ed)|says|said|asks?|asked|mentions?|mentioned|points? out|pointed out|flag(?:s|ged)|writes|wrote|posts?|posted|complain(?:s|ed)?|emails?|emailed|tweets?|tweeted|pings?|pinged|warns?|warned|confirms?|confirmed|suggests?|suggested)\b`)

var (
	logSpeaker     = words(`logs?`, `logstash`, `kibana`, `journal\w*`, `syslog`)
	pagerSpeaker   = words(`pagerduty`, `opsgenie`, `victorops`)
	monitorSpeaker = words(`icinga`, `nagios`, `alertmanager`, `prometheus`, `monitor\w*`, `zabbix`, `datadog`, `sentry`, `pingdom`, `uptime`, `synthetic`, `probes?`, `checks?`, `bots?`, `watchdog`)
	userSpeaker    = words(`users?`, `customers?`, `clients?`, `editors?`, `readers?`, `visitors?`, `subscribers?`, `merchants?`, `partners?`, `community`, `members`, `people`, `public`, `support`, `help ?desk`)
	notPerson      = words(`news`, `press`, `media`, `articles?`, `blogs?`, `bugs?`, `errors?`, `status`, `incident`)
	personWord     = words(`sre`, `engineers?`, `developers?`, `devs?`, `on-?call`, `oncall`, `colleagues?`, `team`, `someone`, `responders?`, `operators?`, `admins?`, `commander`, `managers?`, `staff`, `dba`)
	article        = regexp.MustCompile(`(?i)^(?:the|an?|several|some|our|one|another|two|three)\s+`)
	handle         = regexp.MustCompile(`^(?:[A-Z][\w.-]*|[a-z][a-z0-9_.-]*)(?:\s+[A-Z][\w.-]*)?$`)
)

// speakerKind reads who tells what an entry says: a log or a monitoring
// system (log, alert), a pager (page), users (user-report) or a person
// (chat); "" when no one tells or the teller is unknown.
func speakerKind(text string) string {
	m := speech.FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	who := strings.TrimSpace(m[1])
	switch {
	case who == "":
		return ""
	case logSpeaker.MatchString(who):
		return "log"
	case pagerSpeaker.MatchString(who):
		return "page"
	case monitorSpeaker.MatchString(who):
		return "alert"
	case userSpeaker.MatchString(who):
		return "user-report"
	case notPerson.MatchString(who):
		return ""
	}
	who = article.ReplaceAllString(who, "")
	if personWord.MatchString(who) || handle.MatchString(who) {
		return "chat"
	}
	return ""
}
