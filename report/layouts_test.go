package report

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// TestLayouts reads a report in each layout `vlab new --from-report`
// accepts: the timeline under a heading that does not say "Timeline",
// under no heading at all, or as a table, in markdown and wikitext. Each
// entry is "offset kind mark first-line", offsets counted from the entry
// that starts the outage; the draft must validate, its at: never going
// back.
func TestLayouts(t *testing.T) {
	for _, tt := range []struct {
		file, summary string
		entries       []string
		at            []time.Duration // the injects' at:
	}{
		{
			// Background two months before, the date in a field and in the
			// lines, a fix written below the later alert.
			file:    "layout-what-happened.md",
			summary: "Uploads of files over 10 MB failed for half an hour after a puppet change applied a default proxy limit to the media proxies.",
			entries: []string{
				"-1325h52m0s hint guess The body-size limit of the proxies becomes a puppet parameter, defaulting to 10m",
				"-12m0s cause guess Puppet change 991 merged; the media proxies get the default limit",
				"0s hint guess Errors begin for uploads over 10 MB",
				"11m0s alert guess Alertmanager fires UploadErrorsHigh for the media cluster",
				"10m0s fix tag Erik reverts change 991 on one proxy to test a theory",
				"18m0s user-report guess Several editors report on the help desk that large uploads hang",
				"33m0s fix guess Revert of change 991 deployed to all proxies; uploads recover",
			},
			at: []time.Duration{11 * time.Minute},
		},
		{
			file:    "layout-what-happened.wiki",
			summary: "The session store on the app servers filled its disk after log rotation was disabled, and logins failed.",
			entries: []string{
				"-2h28m0s hint guess A puppet change disables logrotate for the session store",
				"0s hint guess **OUTAGE BEGINS** Logins start failing with HTTP 500",
				"2m0s alert guess Icinga alerts: disk full on sessions1001",
				"7m0s chat guess Dana asks in #ops whether anyone touched the session hosts",
				"15m0s log guess Logstash shows \"No space left on device\" from the session store",
				"40m0s fix guess Old session files deleted and logrotate re-enabled; logins recover",
			},
			at: minutes(0, 2, 7, 15, 40),
		},
		{
			// No outage marker and no date but the lines': the first entry starts.
			file:    "layout-no-heading.md",
			summary: "The internal CA certificate on the payments gateway was rotated without the new chain; calls to the bank timed out for 25 minutes.",
			entries: []string{
				"0s hint guess Certificate rotation job runs on gw1 and gw2",
				"5m0s hint guess Payment success rate falls below 80%",
				"7m0s page guess PagerDuty pages the payments on-call",
				"15m0s user-report guess Support reports a wave of failed card payments",
				"24m0s fix guess The old chain is restored on both gateways; payments recover",
			},
			at: minutes(0, 5, 7, 15, 24),
		},
		{
			file:    "layout-no-heading.wiki",
			summary: "A purge storm emptied the edge caches and the app servers were overloaded for half an hour.",
			entries: []string{
				"-4m0s hint guess A bulk purge script is started for 2 million URLs",
				"0s hint guess **OUTAGE BEGINS** Cache hit rate drops from 92% to 10%",
				"1m0s page guess Alice is paged",
				"5m0s user-report guess Users report on Twitter that pages load slowly",
				"27m0s fix guess The purge script is stopped; hit rate recovers",
			},
			at: minutes(0, 1, 5, 27),
		},
		{
			// The summary from front matter, the date from a line above the table.
			file:    "layout-table.md",
			summary: "Search results went stale for two hours because the indexer queue stalled after a deploy.",
			entries: []string{
				"-1h35m0s cause guess Indexer deploy 5.2 rolls out",
				"-1h15m0s graph guess Queue depth graph starts climbing",
				"0s hint guess OUTAGE BEGINS: search results are more than an hour old",
				"7m0s user-report guess An editor reports on the village pump that new pages are not found",
				"20m0s log guess Kibana shows \"lock wait timeout\" exceptions from the indexer",
				"1h55m0s fix guess Indexer rolled back to 5.1; queue drains",
			},
			at: minutes(0, 7, 20, 115),
		},
		{
			// The date from a heading, the summary under "Summary (…)".
			file:    "layout-table.wiki",
			summary: "A replica with a broken disk was left in the read pool; about 5% of page views returned errors for an hour.",
			entries: []string{
				"-20m0s hint guess RAID controller on db1150 reports a degraded array",
				"0s hint guess 5xx errors begin on page views served from db1150",
				"6m0s alert guess Icinga alerts on MySQL replication errors on db1150",
				"11m0s chat guess Bob mentions in #wikimedia-sre that db1150 looks unhealthy",
				"58m0s fix guess db1150 depooled; errors stop",
			},
			at: minutes(0, 6, 11, 58),
		},
	} {
		t.Run(tt.file, func(t *testing.T) {
			r, _, err := parseFixture(t, tt.file, "")
			if err != nil {
				t.Fatal(err)
			}
			if r.Summary != tt.summary {
				t.Errorf("summary = %q\nwant %q", r.Summary, tt.summary)
			}
			var got []string
			for _, e := range r.Entries {
				got = append(got, summarize(e))
			}
			if strings.Join(got, "\n") != strings.Join(tt.entries, "\n") {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.entries, "\n"))
			}
			lab := draftLab(t, r)
			var at []time.Duration
			for _, in := range lab.Injects {
				at = append(at, in.At.D())
			}
			if !slicesEqual(at, tt.at) {
				t.Errorf("injects at %v, want %v", at, tt.at)
			}
		})
	}
}

// draftLab drafts a lab from r and checks that it validates.
func draftLab(t *testing.T, r *Report) *labfile.Lab {
	t.Helper()
	data, err := r.Draft("some-lab")
	if err != nil {
		t.Fatal(err)
	}
	lab, err := labfile.Parse(filepath.Join(t.TempDir(), "some-lab", labfile.FileName), data)
	if err != nil {
		t.Fatalf("drafted lab does not validate: %v\n%s", err, data)
	}
	return lab
}

func minutes(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Minute
	}
	return out
}

func slicesEqual(a, b []time.Duration) bool {
	return strings.Join(durations(a), " ") == strings.Join(durations(b), " ")
}

func durations(ds []time.Duration) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// TestSetStart moves the clock by time, by report line and by words;
// entries above the start become background, left out of the draft.
func TestSetStart(t *testing.T) {
	for _, tt := range []struct {
		spec    string
		index   int
		first   string // the first entry's offset
		leftOut int
		wantErr string
	}{
		{spec: "", index: 2, first: "-1325h52m0s", leftOut: 2},
		{spec: "16:40", index: 1, first: "-1325h40m0s", leftOut: 1},
		{spec: "2023-06-14 16:45", index: 2, first: "-1325h45m0s", leftOut: 2},
		{spec: "June 14 17:00", index: 3, first: "-1326h0m0s", leftOut: 3},
		{spec: "14", index: 1, first: "-1325h40m0s", leftOut: 1},
		{spec: "alertmanager fires", index: 3, first: "-1326h3m0s", leftOut: 3},
		{spec: "2023-04-20", index: 0, first: "11h0m0s", leftOut: 0},
		{spec: "no such words", wantErr: `--start "no such words": no timeline entry holds these words`},
		{spec: "3", wantErr: "no timeline entry starts on line 3"},
		{spec: "2023-07-01 10:00", wantErr: "every timeline entry is before it"},
	} {
		t.Run(tt.spec, func(t *testing.T) {
			r, _, err := parseFixture(t, "layout-what-happened.md", "")
			if err != nil {
				t.Fatal(err)
			}
			err = r.SetStart(tt.spec)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r.Tagged = false // every entry an inject: each must validate
			if r.StartIndex != tt.index || r.Entries[0].Offset.String() != tt.first || len(r.LeftOut()) != tt.leftOut {
				t.Errorf("start index %d, first offset %s, %d left out; want %d, %s, %d",
					r.StartIndex, r.Entries[0].Offset, len(r.LeftOut()), tt.index, tt.first, tt.leftOut)
			}
			draftLab(t, r)
		})
	}
}

// TestNewLabStart: NewLab passes --start on and names the report in its
// error.
func TestNewLabStart(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "layout-what-happened.md")
	c, err := NewLab(LabOptions{LabsDir: dir, Name: "uploads", From: src, Start: "16:40"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Report.StartIndex != 1 {
		t.Errorf("start index = %d, want 1", c.Report.StartIndex)
	}
	var b strings.Builder
	want := "created " + c.File + "\n1 injects from 7 timeline entries of a markdown report\n" +
		"next: fill in the TODOs in lab.yaml, then run `vlab validate uploads`\n"
	if err := c.WriteText(&b); err != nil || b.String() != want {
		t.Errorf("WriteText: %v\n%s", err, b.String())
	}
	_, err = NewLab(LabOptions{LabsDir: dir, Name: "uploads-2", From: src, Start: "nothing like it"})
	if err == nil || !strings.HasPrefix(err.Error(), src+`: --start "nothing like it"`) {
		t.Errorf("error = %v", err)
	}
}

// TestTimeLinesInParagraph: in markdown, lines that each start with a
// time are entries of their own, not one paragraph.
func TestTimeLinesInParagraph(t *testing.T) {
	r, err := Parse("x.md", []byte("# X\n\n10:00 one\n10:05 two\nstill two\n10:09 three\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range r.Entries {
		got = append(got, e.Text)
	}
	if strings.Join(got, "|") != "one|two still two|three" {
		t.Errorf("entries = %q", got)
	}
}
