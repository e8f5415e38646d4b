package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	for _, data := range []string{"old", "new"} {
		if err := Write(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "new" {
		t.Fatalf("content %q, %v", b, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	if err := Write(filepath.Join(dir, "missing", "x"), nil, 0o644); err == nil {
		t.Error("write into a missing folder succeeded")
	}
}

func TestCopy(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(src, []byte("data"), 0o600)
	os.WriteFile(dst, []byte("old"), 0o600)
	if err := Copy(src, dst, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(dst)
	fi, _ := os.Stat(dst)
	if string(b) != "data" || fi.Mode().Perm() != 0o644 {
		t.Errorf("copy: %q, mode %v", b, fi.Mode())
	}
	if err := Copy(filepath.Join(dir, "missing"), dst, 0o644); err == nil {
		t.Error("copy of a missing file succeeded")
	}
	if b, _ := os.ReadFile(dst); string(b) != "data" {
		t.Errorf("a failed copy changed dst: %q", b)
	}
}
