package shquote

import (
	"os/exec"
	"testing"
)

// TestQuoteRoundTrip: /bin/sh reads each quoted word back as it was.
func TestQuoteRoundTrip(t *testing.T) {
	words := []string{"plain", "", "a b", "it's", `"$HOME"`, "$(id)", "`id`", "a\nb", "*", "-n", "x;y", `back\slash`}
	out, err := exec.Command("/bin/sh", "-c", "for w in "+Join(words)+`; do printf '%s\0' "$w"; done`).Output()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	start := 0
	for i, b := range out {
		if b == 0 {
			got = append(got, string(out[start:i]))
			start = i + 1
		}
	}
	if len(got) != len(words) {
		t.Fatalf("got %q, want %q", got, words)
	}
	for i := range words {
		if got[i] != words[i] {
			t.Errorf("word %d: %q, want %q", i, got[i], words[i])
		}
	}
	if Quote("safe/path-1.2") != "safe/path-1.2" || Quote("a b") != "'a b'" {
		t.Errorf("Quote: %q %q", Quote("safe/path-1.2"), Quote("a b"))
	}
}
