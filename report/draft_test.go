package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

var fixtures = []string{"wikitech.wiki", "wikitech.md", "postmortem-table.md", "postmortem-bullets.md", "days-table.wiki", "authoring-example.md", "no-dates.md"}

// TestDraftRoundTrip checks that every drafted lab passes validation and
// keeps, for each entry that becomes an inject, its kind, offset and text.
func TestDraftRoundTrip(t *testing.T) {
	for _, file := range fixtures {
		t.Run(file, func(t *testing.T) {
			r, _, err := parseFixture(t, file, "")
			if err != nil {
				t.Fatal(err)
			}
			data, err := r.Draft("some-lab")
			if err != nil {
				t.Fatal(err)
			}
			lab, err := labfile.Parse(filepath.Join(t.TempDir(), "some-lab", labfile.FileName), data)
			if err != nil {
				t.Fatalf("drafted lab does not validate: %v\n%s", err, data)
			}
			if lab.Title != r.Title || lab.Date != r.Date || lab.Report != r.Link {
				t.Errorf("lab title, date, report = %q, %q, %q", lab.Title, lab.Date, lab.Report)
			}
			want := r.Injects()
			if len(lab.Injects) != len(want) {
				t.Fatalf("%d injects, want %d", len(lab.Injects), len(want))
			}
			for i, in := range lab.Injects {
				e := want[i]
				if in.Body != e.Text || in.Kind != e.Kind || in.At.D() != e.At || in.Guessed != e.Guessed {
					t.Errorf("inject %d = %+v\nwant text %q, kind %s, at %s, guessed %v", i, in, e.Text, e.Kind, e.At, e.Guessed)
				}
			}
			if r.Tagged {
				for _, e := range r.Entries {
					if e.Tagged && !strings.Contains(string(data), strings.Split(e.Text, "\n")[0]) {
						t.Errorf("tagged entry %q missing from lab.yaml", e.Text)
					}
				}
			}
		})
	}
}

func TestDraftOnlyTagged(t *testing.T) {
	r, _, err := parseFixture(t, "wikitech.wiki", "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range r.Injects() {
		if !in.Tagged {
			t.Errorf("untagged entry %q became an inject", in.Text)
		}
		ids = append(ids, in.Kind)
	}
	if got := strings.Join(ids, " "); got != "alert user-report page cause fix" {
		t.Errorf("inject kinds = %s", got)
	}
}

func TestBlankValidates(t *testing.T) {
	if _, err := labfile.Parse("labs/x/lab.yaml", Blank("x")); err != nil {
		t.Fatalf("blank lab does not validate: %v\n%s", err, Blank("x"))
	}
}

func TestEntryTitleAndSlug(t *testing.T) {
	long := Entry{Text: "**OUTAGE BEGINS** " + strings.Repeat("very long words ", 10) + "\n- nested", Kind: "alert"}
	title := entryTitle(long)
	if !strings.HasPrefix(title, "OUTAGE BEGINS very long") || !strings.HasSuffix(title, "…") || len([]rune(title)) > maxTitle+1 {
		t.Errorf("entryTitle = %q", title)
	}
	if got := entryTitle(Entry{Kind: "hint"}); got != "hint at 00:00" {
		t.Errorf("entryTitle of an empty entry = %q", got)
	}
	ids := newIDSet()
	for _, tt := range []struct{ title, want string }{
		{"PagerDuty pages the on-call: 5xx", "pagerduty-pages-the-on-call"},
		{"PagerDuty pages the on-call: 4xx", "pagerduty-pages-the-on-call-2"},
		{"—", "hint"},
		{strings.Repeat("x", 60), strings.Repeat("x", 32)},
	} {
		if got := ids.unique(slug(tt.title, "hint")); got != tt.want || !labfile.ValidName(got) {
			t.Errorf("id for %q = %q, want %q", tt.title, got, tt.want)
		}
	}
}

func TestNewLab(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("testdata", "wikitech.wiki")
	c, err := NewLab(LabOptions{LabsDir: dir, Name: "search-outage", From: src})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := labfile.Load(filepath.Join(c.Dir, labfile.FileName)); err != nil {
		t.Errorf("created lab does not load: %v", err)
	}
	orig, _ := os.ReadFile(src)
	if cp, err := os.ReadFile(filepath.Join(c.Dir, ReportFile)); err != nil || string(cp) != string(orig) {
		t.Errorf("report.md is not a copy of the source: %v", err)
	}
	_, err = NewLab(LabOptions{LabsDir: dir, Name: "search-outage", From: src})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second NewLab: error = %v, want already exists", err)
	}
}

func TestNewLabErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		o       LabOptions
		wantErr string
	}{
		{LabOptions{Name: "Bad_Name"}, `lab name "Bad_Name"`},
		{LabOptions{Name: "x", Format: "rst"}, `unknown report format "rst"`},
		{LabOptions{Name: "x", From: "testdata/missing.md"}, "read report"},
		{LabOptions{Name: "x", From: "testdata/no-timeline.md"}, "no timeline found"},
	} {
		tt.o.LabsDir = dir
		_, err := NewLab(tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NewLab(%+v): error = %v, want %q", tt.o, err, tt.wantErr)
		}
		if _, err := os.Stat(filepath.Join(dir, tt.o.Name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("NewLab(%+v) left a folder behind", tt.o)
		}
	}
	if _, err := NewLab(LabOptions{LabsDir: dir, Name: "blank"}); err != nil {
		t.Errorf("blank lab: %v", err)
	}
}
