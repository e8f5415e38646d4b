package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An export into its own lab's folder would copy itself into itself: the
// CLI refuses it in one line, before writing anything.
func TestExportRefusesDirInsideLab(t *testing.T) {
	labsDir := writeLab(t, t.TempDir(), "ok", "name: ok\ntitle: x\nvms:\n  - name: a\n    image: fake\n")
	out := filepath.Join(labsDir, "ok", "export")
	code, _, errOut := runVlab(t, t.TempDir(), "--labs", labsDir, "export", "ok", out, "--vagrant", "--no-box")
	if code != 2 || !strings.Contains(errOut, "is inside the lab's folder") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Errorf("exit %d, stderr %q; want one line refusing the folder", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("the refused export made its folder in the lab")
	}
}
