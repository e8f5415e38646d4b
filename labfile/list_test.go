package labfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestList(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, data string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("web/lab.yaml", "name: web\ntitle: Web down\nvms:\n  - name: a\n")
	write("broken/lab.yaml", "name: broken\nvms: 3\n")
	write("notes/README", "not a lab")
	write(".import-123/lab.yaml", "name: half\ntitle: x\nvms:\n  - name: a\n")
	write("file.yaml", "name: x\n")
	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "broken" || got[1].Name != "web" {
		t.Fatalf("List = %+v, want broken and web", got)
	}
	if got[0].Err == nil || got[0].Lab != nil {
		t.Errorf("broken lab: %+v", got[0])
	}
	if got[1].Err != nil || got[1].Lab.Title != "Web down" || got[1].File != filepath.Join(dir, "web", FileName) {
		t.Errorf("web lab: %+v", got[1])
	}
	if _, err := List(filepath.Join(dir, "missing")); err == nil {
		t.Error("List of a missing folder: no error")
	}
}

// TestWriteTable: a lab that does not load says where to learn why; a
// title is one line without escapes; an unset difficulty or duration is
// a dash.
func TestWriteTable(t *testing.T) {
	found := []Entry{
		{Name: "broken", Err: errors.New("line 2: bad")},
		{Name: "web", Lab: &Lab{Title: "Web\n  \x1b[31mdown", Duration: Duration(80 * time.Minute)}},
	}
	var b strings.Builder
	if err := WriteTable(&b, found, ListOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "NAME    TITLE                                       DIFFICULTY  DURATION\n" +
		"broken  (invalid: `vlab validate broken` says why)              \n" +
		"web     Web down                                    -           1h20m\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

// TestWriteTableTrainer: the trainer's table adds the cause after the
// title (a dash without one); the trainee's never shows it, nor does its
// JSON.
func TestWriteTableTrainer(t *testing.T) {
	found := []Entry{
		{Name: "broken", Err: errors.New("line 2: bad")},
		{Name: "shop", Lab: &Lab{Title: "502 on every call", Difficulty: "easy",
			Trainer: &Trainer{Title: "shop-api 2.8.0 moved\n its \x1b[31msocket", Cause: "Long story."}}},
		{Name: "tls", Lab: &Lab{Title: "Browsers refuse the shop", Trainer: &Trainer{Cause: "The certificate expired. Nobody renewed it."}}},
		{Name: "web", Lab: &Lab{Title: "Web down"}},
	}
	var b strings.Builder
	if err := WriteTable(&b, found, ListOptions{Trainer: true}); err != nil {
		t.Fatal(err)
	}
	want := "NAME    TITLE                                       CAUSE                            DIFFICULTY  DURATION\n" +
		"broken  (invalid: `vlab validate broken` says why)                                               \n" +
		"shop    502 on every call                           shop-api 2.8.0 moved its socket  easy        -\n" +
		"tls     Browsers refuse the shop                    The certificate expired          -           -\n" +
		"web     Web down                                    -                                -           -\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	for _, o := range []ListOptions{{}, {Trainer: true}} {
		var tb, js strings.Builder
		if err := WriteTable(&tb, found, o); err != nil {
			t.Fatal(err)
		}
		if err := WriteJSON(&js, found, o); err != nil {
			t.Fatal(err)
		}
		for _, out := range []string{tb.String(), js.String()} {
			if shown := strings.Contains(out, "moved"); shown != o.Trainer {
				t.Errorf("trainer %v: the cause shown: %v\n%s", o.Trainer, shown, out)
			}
		}
	}
}

func TestDurationShort(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 4 * time.Minute: "4m", 80 * time.Minute: "1h20m", 7*time.Minute + 12*time.Second: "7m12s", 2 * time.Hour: "2h"} {
		if got := Duration(d).Short(); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
