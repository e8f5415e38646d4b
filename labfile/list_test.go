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
	if err := WriteTable(&b, found); err != nil {
		t.Fatal(err)
	}
	want := "NAME    TITLE                                       DIFFICULTY  DURATION\n" +
		"broken  (invalid: `vlab validate broken` says why)              \n" +
		"web     Web down                                    -           1h20m\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestDurationShort(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 4 * time.Minute: "4m", 80 * time.Minute: "1h20m", 7*time.Minute + 12*time.Second: "7m12s", 2 * time.Hour: "2h"} {
		if got := Duration(d).Short(); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
