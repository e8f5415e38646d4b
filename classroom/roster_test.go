package classroom

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
)

func TestParseTrainees(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "room.txt")
	os.WriteFile(file, []byte("# morning group\nalice\n\n  bob  # late\ncarol\n"), 0o644)
	for _, tt := range []struct {
		value   string
		want    string // names joined by commas
		wantErr string
	}{
		{value: "alice,bob", want: "alice,bob"},
		{value: " alice , bob ", want: "alice,bob"},
		{value: file, want: "alice,bob,carol"},
		{value: filepath.Join(dir, "missing.txt"), wantErr: "trainees file: open "},
		{value: "Alice,b_b", wantErr: `trainee "Alice": use 1-34 of a-z`},
		{value: "al/ice,bob", wantErr: `trainee "al/ice"`},
		{value: "alice,alice", wantErr: `trainee "alice" is named twice`},
		{value: "-x", wantErr: `trainee "-x"`},
		{value: strings.Repeat("a", 35), wantErr: "use 1-34 of"},
		{value: strings.Repeat("a", 34), want: strings.Repeat("a", 34)},
		{value: ",", wantErr: `trainee ""`},
	} {
		t.Run(tt.value, func(t *testing.T) {
			ts, err := ParseTrainees("hello", tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tr := range ts {
				names = append(names, tr.Name)
				if tr.Instance != "hello-"+tr.Name {
					t.Errorf("trainee %s has instance %s", tr.Name, tr.Instance)
				}
			}
			if got := strings.Join(names, ","); got != tt.want {
				t.Errorf("names %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := InstanceID(strings.Repeat("l", 39), "a"); err == nil || !strings.Contains(err.Error(), "too long for a class") {
		t.Errorf("a lab of 39 characters: %v", err)
	}
}

// TestRoster: a roster is added to, kept whole under concurrent updates,
// removed when empty, and one edited by hand to point a trainee at
// another instance is refused.
func TestRoster(t *testing.T) {
	home := instance.Home{Dir: t.TempDir()}
	ctx := context.Background()
	if _, err := LoadRoster(home, "hello"); err == nil || !strings.Contains(err.Error(), "no class of this lab") {
		t.Fatalf("no roster: %v", err)
	}
	done := make(chan error)
	for _, n := range []string{"alice", "bob", "carol", "dave"} {
		go func() {
			done <- updateRoster(ctx, home, "hello", func(r *Roster) { r.add([]Trainee{{Name: n, Instance: "hello-" + n}}) })
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	r, err := LoadRoster(home, "hello")
	if err != nil || len(r.Trainees) != 4 || r.Lab != "hello" {
		t.Fatalf("roster after four updates at once: %+v, %v", r, err)
	}
	path := filepath.Join(home.Dir, "classes", "hello.json")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"hello-bob"`, `"other-lab"`, 1)), 0o644)
	if _, err := LoadRoster(home, "hello"); err == nil || !strings.Contains(err.Error(), `trainee "bob" has instance "other-lab"`) {
		t.Errorf("roster edited by hand: %v", err)
	}
	os.WriteFile(path, b, 0o644)
	if err := updateRoster(ctx, home, "hello", func(r *Roster) { r.Trainees = nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("an empty roster is kept: %v", err)
	}
	if _, err := LoadRoster(home, "../x"); err == nil {
		t.Error("a lab name that leaves VLAB_HOME was accepted")
	}
}

func TestDefaultParallel(t *testing.T) {
	for _, tt := range []struct{ cpus, vms, want int }{{8, 1, 8}, {8, 3, 2}, {2, 3, 1}, {1, 0, 1}} {
		if got := DefaultParallel(tt.cpus, tt.vms); got != tt.want {
			t.Errorf("DefaultParallel(%d, %d) = %d, want %d", tt.cpus, tt.vms, got, tt.want)
		}
	}
}
