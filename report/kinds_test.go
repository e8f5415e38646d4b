package report

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// Accuracy of the kind guess on entries labelled by hand. kinds.txt was
// used to tune the guess, kinds-heldout.txt was written before and not
// used. Before the guess read who speaks and what starts the outage it got
// 45 of 62 (73%) and 12 of 22 (55%) right; now 61 of 62 (98%) and 17 of
// 22 (77%).
const (
	minKindAccuracy    = 0.85
	minHeldOutAccuracy = 0.75
)

// TestGuessKindAccuracy measures guessKind on the labelled entries and
// fails when it falls below minKindAccuracy.
func TestGuessKindAccuracy(t *testing.T) {
	for _, tt := range []struct {
		file string
		min  float64
	}{{"testdata/kinds.txt", minKindAccuracy}, {"testdata/kinds-heldout.txt", minHeldOutAccuracy}} {
		t.Run(tt.file, func(t *testing.T) { kindAccuracy(t, tt.file, tt.min) })
	}
}

func kindAccuracy(t *testing.T, file string, min float64) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	right, total := 0, 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok || strings.HasPrefix(want, "#") {
			continue
		}
		total++
		if got := guessKind(text); got == want {
			right++
		} else {
			t.Logf("%-11s guessed %-11s %s", want, got, text)
		}
	}
	acc := float64(right) / float64(total)
	t.Logf("kind guess: %d of %d right (%.0f%%)", right, total, 100*acc)
	if acc < min {
		t.Errorf("kind guess accuracy %.2f, want at least %.2f", acc, min)
	}
}
