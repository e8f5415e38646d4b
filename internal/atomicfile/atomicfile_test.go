package atomicfile

import (
	"context"
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
	if err := Copy(context.Background(), src, dst, 0o644); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(dst)
	fi, _ := os.Stat(dst)
	if string(b) != "data" || fi.Mode().Perm() != 0o644 {
		t.Errorf("copy: %q, mode %v", b, fi.Mode())
	}
	if err := Copy(context.Background(), filepath.Join(dir, "missing"), dst, 0o644); err == nil {
		t.Error("copy of a missing file succeeded")
	}
	if b, _ := os.ReadFile(dst); string(b) != "data" {
		t.Errorf("a failed copy changed dst: %q", b)
	}
}

func TestCopyCancelled(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "disk"), filepath.Join(dir, "copy")
	os.WriteFile(src, make([]byte, 4<<20), 0o600)
	os.WriteFile(dst, []byte("old"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Copy(ctx, src, dst, 0o644); err != context.Canceled {
		t.Fatalf("copy with a cancelled context: %v", err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Errorf("a cancelled copy changed dst: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestCreateCommitDiscard(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.tar")
	f, err := Create(p, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Discard() // after Commit: does nothing
	f.WriteString("new")
	if _, err := os.Stat(p); err == nil {
		t.Error("the path exists before Commit")
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Discard()
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("content %q", b)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", fi.Mode())
	}
	if f.Commit() == nil {
		t.Error("a second Commit succeeded")
	}

	g, err := Create(p, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	g.WriteString("half")
	g.Discard()
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("a discarded file changed the path: %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
}
