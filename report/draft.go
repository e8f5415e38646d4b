package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/vlab-dev/vlab/labfile"
)

// ReportFile is the name of the copy of the source report in a lab folder.
const ReportFile = "report.md"

// header is the lab's metadata as written at the top of lab.yaml.
type header struct {
	Name    string `yaml:"name"`
	Title   string `yaml:"title"`
	Date    string `yaml:"date,omitempty"`
	Report  string `yaml:"report,omitempty"`
	Summary string `yaml:"summary,omitempty"`
}

// placeholders is what a report cannot tell: the machines, how they are
// built, what reproduces the load and what shows the incident is over.
const placeholders = `# TODO: how hard, what it involves, how long it takes.
# difficulty: medium
# services: [nginx]
# duration: 45m
# goals: ["find which change broke the service"]

# TODO: app is a placeholder. Name the machines the incident involved, and
# pin how each is built (see docs/LAB-FORMAT.md).
vms:
  - name: app
    image: debian-12
    # memory: 1024
    # cpus: 1
    # provision:
    #   - puppet: {repo: puppet, revision: COMMIT-OF-THE-DAY, manifest: manifests/site.pp}
    #   - packages: {nginx: "1.22.1-9"}
    #   - run: "systemctl restart nginx"

# TODO: a client that reproduces the incident's traffic or load.
# triggers:
#   - name: load
#     vm: app
#     command: "/usr/local/bin/hammer http://app/"
`

// checks is the commented end of a draft: probes and the reference fix.
const checks = `
# TODO: what shows the incident is over; ` + "`vlab check`" + ` runs these.
# probes:
#   - name: users-get-pages
#     vm: app
#     command: "curl -s -o /dev/null -w '%{http_code}' http://localhost/"
#     expect: {match: "^200$"}
#     samples: 5
#     interval: 3s

# TODO: what was done on the day.
# solution:
#   summary: |
#     ...
#   steps:
#     - vm: app
#       run: "..."
`

// Draft renders the first draft of lab.yaml for a lab called name: the
// report's metadata, its timeline as injects, and commented placeholders
// for the rest.
func (r *Report) Draft(name string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Drafted by `vlab new --from-report` from %s (%s).\n", ReportFile, r.Format)
	b.WriteString("# Fill in the TODOs, then run `vlab validate " + name + "`. The format: docs/LAB-FORMAT.md\n")
	summary := r.Summary
	if r.Impact != "" && !strings.Contains(summary, r.Impact) {
		summary = strings.TrimSpace(summary + "\n\n**Impact:** " + r.Impact)
	}
	h := header{Name: name, Title: r.Title, Date: r.Date, Report: r.Link, Summary: summary}
	if err := encode(&b, h); err != nil {
		return nil, err
	}
	if vms := r.proposedVMs(); vms != "" {
		b.WriteString("\n" + vms + "\n")
	} else {
		b.WriteString("\n" + placeholders + "\n")
	}
	b.WriteString(r.injectsComment())
	b.WriteString(r.leftOutComment())
	if err := encode(&b, r.injectNode()); err != nil {
		return nil, err
	}
	b.WriteString(checks)
	return b.Bytes(), nil
}

// Blank renders lab.yaml for a lab written without a report.
func Blank(name string) []byte {
	var b bytes.Buffer
	b.WriteString("# Drafted by `vlab new`. Fill in the TODOs, then run `vlab validate " + name + "`.\n")
	b.WriteString("# The format: docs/LAB-FORMAT.md\n")
	_ = encode(&b, header{Name: name, Title: name, Summary: "TODO: what happened, in a few sentences."})
	b.WriteString("# date: 2024-03-05\n# report: https://...\n\n" + placeholders)
	b.WriteString("\n# TODO: the incident's timeline, in order; at: is the time since the first event.\n")
	b.WriteString("# injects:\n#   - id: first-alert\n#     at: 0s\n#     kind: alert\n#     title: \"5xx rate above 5%\"\n")
	b.WriteString(checks)
	return b.Bytes()
}

func (r *Report) injectsComment() string {
	s := "# From the report's timeline; at: is the time since its start, " + r.startName() + ".\n"
	if r.Tagged {
		return s + "# Only the entries tagged [inject:KIND] are here.\n"
	}
	return s + "# The report has no [inject:KIND] tags, so every entry is here, with a\n" +
		"# guessed kind (guessed: true). Drop the ones a trainee should not see.\n"
}

// startName says where the clock starts, for the draft's comments.
func (r *Report) startName() string {
	if r.StartIndex < len(r.Entries) && r.Entries[r.StartIndex].Time.Equal(r.Start) {
		e := r.Entries[r.StartIndex]
		return fmt.Sprintf("%s line %d (%q)", ReportFile, e.Line, entryTitle(e))
	}
	if hasDate(r.Start) {
		return r.Start.Format("2006-01-02 15:04")
	}
	return r.Start.Format("15:04")
}

// leftOutComment lists the entries above the start: background that
// becomes no inject.
func (r *Report) leftOutComment() string {
	left := r.LeftOut()
	if len(left) == 0 {
		return ""
	}
	s := "# Above the start, so background and not injects (`vlab new --start` moves the start):\n"
	for _, e := range left {
		s += fmt.Sprintf("#   %s line %d, %s: %s\n", ReportFile, e.Line, e.Offset, entryTitle(e))
	}
	return s
}

func encode(b *bytes.Buffer, v any) error {
	e := yaml.NewEncoder(b)
	e.SetIndent(2)
	if err := e.Encode(v); err != nil {
		return fmt.Errorf("write lab.yaml: %w", err)
	}
	return e.Close()
}

// injectNode is the injects: mapping, each inject headed by the line of
// the report it comes from.
func (r *Report) injectNode() *yaml.Node {
	entries := r.Injects()
	injects := make([]labfile.Inject, len(entries))
	ids := newIDSet()
	for i, e := range entries {
		title := entryTitle(e)
		injects[i] = labfile.Inject{
			ID:      ids.unique(slug(title, e.Kind)),
			At:      labfile.Duration(e.At),
			Kind:    e.Kind,
			Title:   title,
			Body:    e.Text,
			Guessed: e.Guessed,
		}
	}
	var n yaml.Node
	_ = n.Encode(struct {
		Injects []labfile.Inject `yaml:"injects"`
	}{injects})
	for i, item := range n.Content[1].Content {
		item.HeadComment = fmt.Sprintf("%s line %d", ReportFile, entries[i].Line)
		switch e := entries[i]; {
		case !e.Timed:
			item.HeadComment += ": no time of its own, placed after the entry above"
		case e.At != e.Offset:
			item.HeadComment += fmt.Sprintf(": at %s in the report, before the entry above; kept in the report's order", e.Offset)
		}
	}
	return &n
}

// maxTitle is the longest inject title, in characters.
const maxTitle = 72

// entryTitle is the first line of an entry, shortened at a word.
func entryTitle(e Entry) string {
	first, _, _ := strings.Cut(e.Text, "\n")
	t := []rune(plain(first))
	if len(t) == 0 {
		return fmt.Sprintf("%s at %s", e.Kind, e.Time.Format("15:04"))
	}
	if len(t) <= maxTitle {
		return string(t)
	}
	cut := maxTitle
	for i := maxTitle; i > maxTitle/2; i-- {
		if unicode.IsSpace(t[i]) {
			cut = i
			break
		}
	}
	return strings.TrimSpace(string(t[:cut])) + "…"
}

// The first maxSlugWords words of a title, up to maxSlugLen bytes, make
// an inject id.
const (
	maxSlugWords = 5
	maxSlugLen   = 32
)

// slug makes an inject id from the first words of a title.
func slug(title, fallback string) string {
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	if len(words) == 0 {
		return fallback
	}
	s := words[0][:min(len(words[0]), maxSlugLen)]
	for i, w := range words[1:] {
		if i+1 >= maxSlugWords || len(s)+1+len(w) > maxSlugLen {
			break
		}
		s += "-" + w
	}
	return s
}

// idSet hands out inject ids that are unique within a lab.
type idSet struct {
	seen map[string]bool
	// next is the suffix to try first for a base id, so that many entries
	// with the same slug cost one lookup each, not one per earlier twin.
	next map[string]int
}

func newIDSet() idSet { return idSet{seen: map[string]bool{}, next: map[string]int{}} }

// unique returns id, or id with -2, -3… added when it is taken.
func (s idSet) unique(id string) string {
	out := id
	n := max(s.next[id], 2)
	for s.seen[out] {
		out = id + "-" + strconv.Itoa(n)
		n++
	}
	s.next[id] = n
	s.seen[out] = true
	return out
}
