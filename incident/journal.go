// Package incident plays a lab's incident to a trainee: it reveals the
// injects of the timeline, records each attempt in a journal that survives
// crashes and resets, and builds the debrief.
package incident

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vlab-dev/vlab/probe"
)

// JournalFile is the journal's name inside an instance's directory.
const JournalFile = "journal.jsonl"

// Kind says what an Event records.
type Kind string

const (
	// AttemptStarted: `vlab up` or `vlab reset` gave the trainee a fresh lab.
	AttemptStarted Kind = "attempt"
	// InjectRevealed: the trainee was shown an inject for the first time.
	InjectRevealed Kind = "reveal"
	// CheckRun: the probes ran.
	CheckRun Kind = "check"
	// SolveApplied: the lab's reference fix was applied.
	SolveApplied Kind = "solve"
)

// Event is one line of the journal.
type Event struct {
	Kind Kind      `json:"kind"`
	Time time.Time `json:"time"`
	// By is what started an attempt: "up" or "reset".
	By string `json:"by,omitempty"`
	// Inject is the id of a revealed inject.
	Inject string `json:"inject,omitempty"`
	// Resolved, Mitigated and Results record a check.
	Resolved  bool           `json:"resolved,omitempty"`
	Mitigated bool           `json:"mitigated,omitempty"`
	Results   []probe.Result `json:"results,omitempty"`
}

// Journal is the append-only record of one lab instance: a JSON line per
// event, each synced to disk before Append returns. A line torn by a crash
// is dropped when the journal is opened again.
type Journal struct {
	path string
	f    *os.File
}

// Open opens or creates the journal in dir, creating dir, and cuts off a
// last line left incomplete by a crash so that new events start on a line
// of their own.
func Open(dir string) (*Journal, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	path := filepath.Join(dir, JournalFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open journal: %w", err)
	}
	if err := dropTornTail(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("repair journal %s: %w", path, err)
	}
	return &Journal{path: path, f: f}, nil
}

// dropTornTail truncates f after its last newline.
func dropTornTail(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	for end := st.Size(); end > 0; {
		start := max(0, end-chunk)
		n, err := f.ReadAt(buf[:end-start], start)
		if err != nil && err != io.EOF {
			return err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			keep := start + int64(i) + 1
			if keep == st.Size() {
				return nil
			}
			return truncate(f, keep)
		}
		end = start
	}
	return truncate(f, 0)
}

func truncate(f *os.File, size int64) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	return f.Sync()
}

// Path returns the journal file's path.
func (j *Journal) Path() string { return j.path }

// Close closes the journal file.
func (j *Journal) Close() error { return j.f.Close() }

// Append writes ev as one line and syncs it to disk. A zero Time is set to
// the current time.
func (j *Journal) Append(ev Event) error {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("journal %s event: %w", ev.Kind, err)
	}
	// One write call, so that processes appending at once do not interleave.
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("append to journal %s: %w", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.path, err)
	}
	return nil
}

// Events reads every event in the order written. Lines that do not decode,
// such as one torn by a crash of another process, are skipped.
func (j *Journal) Events() ([]Event, error) {
	f, err := os.Open(j.path)
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	var evs []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev Event
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Kind != "" {
			evs = append(evs, ev)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read journal %s: %w", j.path, err)
	}
	return evs, nil
}

// Attempts reads the journal and groups its events into attempts.
func (j *Journal) Attempts() ([]Attempt, error) {
	evs, err := j.Events()
	if err != nil {
		return nil, err
	}
	return Replay(evs), nil
}
