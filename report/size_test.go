package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// writeReport writes a markdown report whose timeline has n entries made
// by entry, and returns its path.
func writeReport(t *testing.T, n int, entry func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# A long night\n\n## Timeline\n")
	for i := range n {
		b.WriteString(entry(i) + "\n")
	}
	p := filepath.Join(t.TempDir(), "report.md")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// maxAlloc bounds what NewLab may allocate on the reports of
// TestNewLabLargeReports.
const maxAlloc = 256 << 20

// TestNewLabLargeReports: a report too large, or with a timeline too long
// for a lab, is refused in one line that says why and what to do, without
// reading it all; whatever NewLab writes validates.
func TestNewLabLargeReports(t *testing.T) {
	clock := func(i int) string { return fmt.Sprintf("%02d:%02d", i/60%24, i%60) }
	for _, tt := range []struct {
		name    string
		report  string
		wantErr string
	}{
		{"over the size limit", writeReport(t, 60_000, func(i int) string {
			return "- " + clock(i) + " something happened on server " + fmt.Sprint(i) + " and it was bad [inject:alert]"
		}), fmt.Sprintf("larger than %d KiB", MaxSize>>10)},
		{"too many injects", writeReport(t, 20_000, func(i int) string { return "- " + clock(i) + " x" }),
			fmt.Sprintf("at most %d", MaxInjects)},
		{"one huge entry", writeReport(t, 1, func(i int) string {
			return "- " + clock(i) + " a" + strings.Repeat("\x01", MaxSize-200)
		}), fmt.Sprintf("over the %d KiB a lab.yaml may be", labfile.MaxFileSize>>10)},
		{"many twins", writeReport(t, MaxInjects, func(i int) string {
			return "- " + clock(i) + " the same thing happened again [inject:alert]"
		}), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			// The bound is on memory, which the machine's load does not
			// change (a 3 s limit failed on a loaded machine): the 4 MiB
			// report that once took 18 s took 2.2 GB.
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			c, err := NewLab(LabOptions{LabsDir: dir, Name: "big", From: tt.report})
			runtime.ReadMemStats(&after)
			if a := after.TotalAlloc - before.TotalAlloc; a > maxAlloc {
				t.Errorf("allocated %d MiB, want at most %d", a>>20, maxAlloc>>20)
			} else {
				t.Logf("allocated %d MiB", a>>20)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := labfile.Load(c.File); err != nil {
					t.Errorf("written lab does not load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.report) ||
				strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "bug") {
				t.Fatalf("error = %v, want one line naming %s and containing %q", err, tt.report, tt.wantErr)
			}
			if _, err := os.Stat(filepath.Join(dir, "big")); !errors.Is(err, os.ErrNotExist) {
				t.Error("a refused lab left a folder behind")
			}
		})
	}
}
