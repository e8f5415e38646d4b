package report

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// summarize writes an entry as "offset kind mark first-line", mark being
// "tag" (tagged with a kind), "tag?" (tagged, kind guessed) or "guess".
func summarize(e Entry) string {
	mark := "guess"
	switch {
	case e.Tagged && e.Guessed:
		mark = "tag?"
	case e.Tagged:
		mark = "tag"
	}
	first, _, _ := strings.Cut(e.Text, "\n")
	return fmt.Sprintf("%s %s %s %s", e.Offset, e.Kind, mark, first)
}

func parseFixture(t *testing.T, file string, format Format) (*Report, []byte, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(file, data, format)
	return r, data, err
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		file        string
		format      Format
		title, date string
		link        string
		entries     []string
		wantErr     string
	}{
		{
			file: "wikitech.wiki", format: Wikitext, title: "wikitech", date: "2022-05-09",
			link: "https://wikitech.wikimedia.org/wiki/Incidents/2022-05-09_search",
			entries: []string{
				"-12m0s hint guess Scheduled reindex of enwiki starts.",
				"0s alert tag **OUTAGE BEGINS** Icinga reports `search.svc.eqiad` errors",
				"6m0s user-report tag Several users in #wikimedia-tech report that search is broken",
				"13m0s page tag Alice is paged and starts investigating (T308380)",
				"13m0s hint guess Bob joins the investigation",
				"39m0s cause tag Config change 12345 identified as the cause",
				"56m0s fix tag Revert deployed with scap",
				"1h13m0s fix guess **OUTAGE ENDS** error rate back to baseline",
			},
		},
		{
			file: "wikitech.md", format: Markdown, title: "2022-05-09 search outage", date: "2022-05-09",
			entries: []string{
				"-12m0s hint guess Scheduled reindex of enwiki starts.",
				"0s alert tag **OUTAGE BEGINS** Icinga reports `search.svc.eqiad` errors",
				"6m0s user-report tag Several users in #wikimedia-tech report that search is broken",
				"13m0s page tag Alice is paged and starts investigating ([T308380](https://phabricator.wikimedia.org/T308380))",
				"13m0s hint guess Bob joins the investigation",
				"33h23m0s fix tag Follow-up: pool config gets a canary",
			},
		},
		{
			file: "postmortem-table.md", format: Markdown, title: "Checkout API outage", date: "2024-03-05",
			link: "https://status.example.com/incidents/42",
			entries: []string{
				"0s cause tag Deploy of `checkout-api` v2.3.1 starts",
				"4m0s page tag PagerDuty pages the on-call: 5xx | 502 rate above 5%",
				"10m0s user-report guess Support forwards [customer tickets](https://support.example.com/q/1)",
				"1h48m0s fix tag Rollback to v2.3.0 completes",
				"1h57m0s fix tag? 5xx back to baseline",
				"1h57m0s hint guess Postmortem scheduled",
			},
		},
		{
			file: "postmortem-bullets.md", format: Markdown, date: "2015-10-21",
			title: "Shakespeare Sonnet++ Postmortem (incident #465)",
			entries: []string{
				"-3m0s hint guess News reports that a new Shakespearean sonnet has been discovered",
				"-1m0s graph guess Traffic to Shakespeare search increases by 88x after post to /r/shakespeare points to Shakespeare search engine as place to find new sonnet",
				"0s hint guess **OUTAGE BEGINS** — Search backends start melting down under load",
				"1m0s page guess docbrown receives pager storm, ManyHttp500s from all clusters",
				"3m0s graph guess All traffic to Shakespeare search is failing: see https://monitor.shakespeare.example/graph",
				"4m0s hint guess docbrown starts investigating, finds backend crash rate very high",
				"7m0s hint guess **INCIDENT BEGINS** docbrown declares incident #465",
				"34m0s chat guess jennifer asks in #shakespeare-ops whether anyone saw the logs",
				"1h6m0s fix guess Rolled out fix to all clusters: file-descriptor limit raised",
				"1h6m0s fix guess **OUTAGE MITIGATED**, reverted queries resumed",
				"6h8m0s fix guess Traffic normal again (12h clock)",
				"18h36m0s cause guess Cause found in the logs: the index-building bug",
			},
		},
		{
			file: "days-table.wiki", title: "days table", date: "2023-11-28",
			entries: []string{
				"0s cause guess Schema change scheduled (T1) with no time given",
				"0s cause tag Schema change on db1234 starts",
				"1h40m0s alert guess Replication lag alert on s4 fires",
				"8h30m0s user-report tag Users report stale pages on Commons",
				"39h15m0s fix tag Schema change killed, lag recovers",
			},
		},
		{
			// The worked example of docs/AUTHORING.md.
			file: "authoring-example.md", title: "2024-03-05 checkout returns 502", date: "2024-03-05",
			entries: []string{
				"-13m0s cause guess Config change [42](https://git.example.com/c/42) merged: `pm.max_children` 50 → 5",
				"0s alert tag **OUTAGE BEGINS** The 5xx alert for checkout fires",
				"4m0s user-report tag Users report \"502 Bad Gateway\" when paying",
				"9m0s graph tag The checkout latency graph shows p99 at 30s",
				"16m0s log tag nginx error log: `connect() to unix:/run/php/php-fpm.sock failed (11: Resource temporarily unavailable)`",
				"25m0s cause tag The on-call finds `server reached pm.max_children setting (5)` in the php-fpm log",
				"38m0s fix tag Change 42 reverted, php-fpm reloaded; **OUTAGE ENDS**",
			},
		},
		{
			file: "no-dates.md", title: "no dates",
			entries: []string{
				"0s hint guess Batch job starts",
				"5h0m0s hint tag? Disk fills up on db2",
				"25h0m30s hint guess Second night: the batch job starts again Continuation line of the same entry.",
				"28h0m0s page guess Paged: db2 read-only",
				"28h0m0s hint guess No time here, and a [wiki-ish [[link]]] inside",
			},
		},
		{file: "no-timeline.md", wantErr: `no-timeline.md: no timeline found: no "Timeline" heading, no run of time-stamped lines`},
		{file: "empty-timeline.wiki", wantErr: `empty-timeline.wiki:4: the "Timeline" section has no entries`},
		{file: "bad-kind.md", wantErr: `bad-kind.md:5: unknown inject kind "alarm"`},
	} {
		t.Run(tt.file, func(t *testing.T) {
			r, _, err := parseFixture(t, tt.file, "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.format != "" && r.Format != tt.format {
				t.Errorf("format = %s, want %s", r.Format, tt.format)
			}
			if r.Title != tt.title || r.Date != tt.date || r.Link != tt.link {
				t.Errorf("title, date, link = %q, %q, %q; want %q, %q, %q", r.Title, r.Date, r.Link, tt.title, tt.date, tt.link)
			}
			var got []string
			for _, e := range r.Entries {
				got = append(got, summarize(e))
			}
			if strings.Join(got, "\n") != strings.Join(tt.entries, "\n") {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.entries, "\n"))
			}
		})
	}
}

func TestParseMeta(t *testing.T) {
	r, _, err := parseFixture(t, "wikitech.wiki", "")
	if err != nil {
		t.Fatal(err)
	}
	wantSummary := "A config change to the CirrusSearch pool made **every** search backend reject connections after the nightly reindex started."
	if r.Summary != wantSummary {
		t.Errorf("summary = %q, want %q", r.Summary, wantSummary)
	}
	if want := "For 85 minutes, about 30% of search requests failed with HTTP 500."; r.Impact != want {
		t.Errorf("impact = %q, want %q", r.Impact, want)
	}
	nested := "- First error spike visible on the [search dashboard](https://grafana.wikimedia.org/d/search)\n- Nothing unusual in the Logstash dashboard yet"
	if !strings.HasSuffix(r.Entries[1].Text, nested) {
		t.Errorf("nested bullets not kept:\n%s", r.Entries[1].Text)
	}
}

func TestFormatOverride(t *testing.T) {
	// Read as markdown, the wikitext timeline's "*23:40" lines are not
	// list items and "==Timeline==" is not a heading: no timeline.
	_, _, err := parseFixture(t, "wikitech.wiki", Markdown)
	if err == nil || !strings.Contains(err.Error(), "no timeline found") {
		t.Fatalf("error = %v, want no timeline found", err)
	}
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		want       Format
	}{
		{"a.txt", "== Timeline ==\n* 10:00 '''x'''", Wikitext},
		{"a.txt", "## Timeline\n- 10:00 **x**", Markdown},
		{"a.wiki", "Timeline\n10:00 x", Wikitext},
		{"a.txt", "Timeline\n10:00 x", Markdown},
	} {
		if got := Detect(tt.name, tt.text); got != tt.want {
			t.Errorf("Detect(%q, %q) = %s, want %s", tt.name, tt.text, got, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": "", "wikitext": Wikitext, "MediaWiki": Wikitext, "md": Markdown, "markdown": Markdown} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("rst"); err == nil {
		t.Error("ParseFormat(rst) succeeded")
	}
}
