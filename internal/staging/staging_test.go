package staging

import (
	"os"
	"path/filepath"
	"testing"
)

func TestCleanKeepsHeldAndRemovesStale(t *testing.T) {
	parent := t.TempDir()
	live, err := New(parent, "import-")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// What a killed import leaves: a folder with a big file and an unheld lock.
	stale := filepath.Join(parent, "import-123")
	os.MkdirAll(stale, 0o700)
	os.WriteFile(filepath.Join(stale, "disk.part"), make([]byte, 1<<16), 0o600)
	os.WriteFile(stale+".lock", nil, 0o600)
	os.Mkdir(filepath.Join(parent, "other"), 0o755)

	next, err := New(parent, "import-")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale staging folder kept: %v", err)
	}
	if _, err := os.Stat(stale + ".lock"); !os.IsNotExist(err) {
		t.Errorf("stale lock kept: %v", err)
	}
	if _, err := os.Stat(live.Path); err != nil {
		t.Errorf("a staging folder in use was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(parent, "other")); err != nil {
		t.Errorf("an unrelated folder was removed: %v", err)
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(next.Path); !os.IsNotExist(err) {
		t.Errorf("Close left the folder: %v", err)
	}
}
