package cmdrun

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

func TestTailKeepsLastLines(t *testing.T) {
	tl := &Tail{Max: 3}
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(tl, "line %d\r\n\n", i)
	}
	tl.Write([]byte("  partial  "))
	got := strings.Join(tl.Lines(), "|")
	if want := "line 9|line 10|partial"; got != want {
		t.Errorf("Lines = %q, want %q", got, want)
	}
	if tl.Last() != "partial" {
		t.Errorf("Last = %q", tl.Last())
	}
	if (&Tail{}).Last() != "" {
		t.Error("an empty tail has a last line")
	}
}

// A command that prints hundreds of MiB without a newline must not make
// vlab hold them: the tail keeps a bounded line and memory stays flat.
func TestTailBoundsAnEndlessLine(t *testing.T) {
	tl := &Tail{}
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 2048; i++ { // 64 MiB
		tl.Write(chunk)
	}
	tl.Write([]byte("\nthe error\n"))
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("writing 64 MiB allocated %d MiB", grew>>20)
	}
	lines := tl.Lines()
	if len(lines) != 2 || len(lines[0]) > DefaultLineMax+len(cutMark) || !strings.HasSuffix(lines[0], cutMark) || lines[1] != "the error" {
		t.Errorf("kept %d lines, first %d bytes; want the cut line and the error", len(lines), len(lines[0]))
	}
}

func TestLinesCutsLongLines(t *testing.T) {
	var got []string
	l := &Lines{Max: 4, Line: func(s string) { got = append(got, s) }}
	l.Write([]byte("abcdefgh\nab"))
	l.Write([]byte("cdef\nxy"))
	l.Flush()
	want := []string{"abcd" + cutMark, "abcd" + cutMark, "xy"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines = %q, want %q", got, want)
	}
}

func TestErrorIsOneShortLine(t *testing.T) {
	e := &Error{Where: "guest", Cmd: "sh -ec 'yes | head'\n  && true", Exit: 3, Output: []string{"first", strings.Repeat("y", 5000)}}
	msg := e.Error()
	if strings.Contains(msg, "\n") || len(msg) > 300 {
		t.Errorf("Error() is %d bytes: %q", len(msg), msg)
	}
	if !strings.HasPrefix(msg, `guest: "sh -ec 'yes | head' && true" exited with status 3: yyy`) {
		t.Errorf("Error() = %q", msg)
	}
	if got := Shorten("é" + strings.Repeat("é", 100)); !strings.HasSuffix(got, "...") || !utf8Valid(got) {
		t.Errorf("Shorten split a character: %q", got)
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }
