package probe

import (
	"strings"
	"testing"
)

// TestWriteTextSanitises: what a guest printed reaches the trainee's
// terminal without its escape sequences (OSC 52 writes the clipboard).
func TestWriteTextSanitises(t *testing.T) {
	osc52 := "\x1b]52;c;ZWNobyBwd25lZAo=\x07"
	r := Report{Results: []Result{
		{Name: "web-up", VM: "web", Status: Fail, Observed: "502" + osc52, Message: "output \x1b[2J\"502\"" + osc52},
		{Name: "db", VM: "db", Status: Error, Message: "connect\x1b]0;pwned\x07 refused"},
	}}
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, "502") {
		t.Errorf("output keeps escape sequences:\n%q", out)
	}
}
