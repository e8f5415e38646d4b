package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tag left pointing at no image (a bundle import cut short did that)
// is shown as broken, with what to do, and removed truthfully.
func TestImagesDanglingTag(t *testing.T) {
	home := t.TempDir()
	tags := filepath.Join(home, "images", "tags")
	os.MkdirAll(tags, 0o755)
	os.WriteFile(filepath.Join(tags, "gone"), []byte(strings.Repeat("ab", 32)+"\n"), 0o644)
	code, out, errOut := runVlab(t, home, "images", "list")
	if code != 0 || !strings.Contains(out, "gone") || !strings.Contains(out, "broken") || !strings.Contains(errOut, "vlab images rm gone") {
		t.Errorf("images list: exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runVlab(t, home, "images", "rm", "gone")
	if code != 0 || !strings.Contains(errOut, "removed the broken tag gone") {
		t.Errorf("images rm: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(tags, "gone")); !os.IsNotExist(err) {
		t.Errorf("tag kept: %v", err)
	}
	code, _, errOut = runVlab(t, home, "images", "rm", "gone")
	if code != 0 || !strings.Contains(errOut, "nothing removed") {
		t.Errorf("second images rm: exit %d: %s", code, errOut)
	}
	if code, out, _ := runVlab(t, home, "images", "list", "--json"); code != 0 || out != "[]\n" {
		t.Errorf("images list --json after rm: %d %q", code, out)
	}
}
