package incident

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/probe"
)

func TestJournalRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "instance")
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	evs := []Event{
		{Kind: AttemptStarted, By: "up", Time: t0},
		{Kind: InjectRevealed, Inject: "alert", Time: t0.Add(time.Minute)},
		{Kind: CheckRun, Time: t0.Add(2 * time.Minute), Results: []probe.Result{{Name: "p", Status: probe.Fail}}},
		{Kind: CheckRun, Time: t0.Add(3 * time.Minute), Resolved: true, Results: []probe.Result{{Name: "p", Status: probe.Pass}}},
		{Kind: AttemptStarted, By: "reset", Time: t0.Add(time.Hour)},
		{Kind: SolveApplied, Time: t0.Add(61 * time.Minute)},
	}
	for _, ev := range evs {
		if err := j.Append(ev); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()

	j, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	as, err := j.Attempts()
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 {
		t.Fatalf("got %d attempts, want 2", len(as))
	}
	a := as[0]
	if a.N != 1 || a.By != "up" || !a.Started.Equal(t0) || len(a.Reveals) != 1 || len(a.Checks) != 2 {
		t.Errorf("attempt 1: %+v", a)
	}
	if !a.Resolved.Equal(t0.Add(3*time.Minute)) || a.Checks[1].Passed != 1 || a.Checks[1].Total != 1 {
		t.Errorf("attempt 1 resolution: %+v", a)
	}
	if b := as[1]; b.By != "reset" || !b.Solved.Equal(t0.Add(61*time.Minute)) || len(b.Reveals) != 0 {
		t.Errorf("attempt 2: %+v", b)
	}
}

// TestJournalTornTail: a crash mid-write leaves half a line; it is ignored,
// and the next event starts on a line of its own.
func TestJournalTornTail(t *testing.T) {
	dir := t.TempDir()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	j.Append(Event{Kind: AttemptStarted, By: "up", Time: t0})
	j.Append(Event{Kind: InjectRevealed, Inject: "alert", Time: t0})
	j.Close()
	path := filepath.Join(dir, JournalFile)
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"kind":"reveal","inje`)
	f.Close()

	j, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Append(Event{Kind: InjectRevealed, Inject: "graph", Time: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	as, err := j.Attempts()
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || len(as[0].Reveals) != 2 || as[0].Reveals[1].Inject != "graph" {
		t.Errorf("after a torn line: %+v", as)
	}
}

func TestJournalSkipsGarbageAndOrphans(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, JournalFile), []byte(
		`{"kind":"reveal","inject":"alert","time":"2025-03-05T14:00:00Z"}`+"\n"+
			"not json\n"+
			`{"kind":"reveal","inject":"alert","time":"2025-03-05T14:01:00Z"}`+"\n"+
			`{"kind":"attempt","by":"up","time":"2025-03-05T15:00:00Z"}`+"\n"), 0o644)
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	as, err := j.Attempts()
	if err != nil {
		t.Fatal(err)
	}
	// Events before the first attempt form one; a repeated reveal counts once.
	if len(as) != 2 || as[0].By != "" || len(as[0].Reveals) != 1 || !as[0].Started.Equal(t0) || as[1].By != "up" {
		t.Errorf("got %+v", as)
	}
}

func TestJournalEmptyTornFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, JournalFile), []byte(`{"kind":"att`), 0o644)
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	st, _ := os.Stat(j.Path())
	if st.Size() != 0 {
		t.Errorf("torn only line kept: %d bytes", st.Size())
	}
}
