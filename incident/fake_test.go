package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe/probetest"
)

var t0 = time.Date(2025, 3, 5, 14, 0, 0, 0, time.UTC)

func inject(id, kind string, at time.Duration) labfile.Inject {
	return labfile.Inject{ID: id, Kind: kind, At: labfile.Duration(at), Title: strings.ToUpper(id), Body: "body of " + id}
}

func testLab() *labfile.Lab {
	return &labfile.Lab{Name: "hello", Title: "Hello", Injects: []labfile.Inject{
		inject("alert", "alert", 0),
		inject("graph", "graph", 4*time.Minute),
		inject("hint", "hint", 10*time.Minute),
		inject("cause", "cause", 20*time.Minute),
		inject("fix", "fix", 25*time.Minute),
	}}
}

// newSession returns a session on testLab with a fresh journal and an
// attempt started at t0.
func newSession(t *testing.T) (*Session, *probetest.Clock) {
	t.Helper()
	j, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	clock := probetest.NewClock(t0)
	s := &Session{Lab: testLab(), Journal: j, Clock: clock}
	if err := s.StartAttempt("up"); err != nil {
		t.Fatal(err)
	}
	return s, clock
}
