package termtext

import (
	"strings"
	"testing"
)

func TestWriterCleansSplitSequences(t *testing.T) {
	var out strings.Builder
	w := NewWriter(&out)
	for _, p := range []string{"ok \x1b]52;c;", "cHduZWQ=\x07 line\n", "\x1b[31mred\x1b", "[0m\n", "tail"} {
		w.Write([]byte(p))
	}
	w.Flush()
	if got := out.String(); got != "ok  line\nred\ntail" {
		t.Errorf("cleaned %q", got)
	}
	var long strings.Builder
	lw := NewWriter(&long)
	lw.Write([]byte(strings.Repeat("x", 3*maxPending)))
	if long.Len() < 2*maxPending {
		t.Errorf("a line without end is held back whole: %d bytes passed", long.Len())
	}
}
