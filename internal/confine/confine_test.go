package confine

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600)
	lab := t.TempDir()
	os.MkdirAll(filepath.Join(lab, "files"), 0o755)
	os.WriteFile(filepath.Join(lab, "files", "a"), []byte("a"), 0o644)
	os.Symlink("a", filepath.Join(lab, "files", "link"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(lab, "files", "out"))
	os.Symlink(outside, filepath.Join(lab, "dir-out"))
	os.Symlink("../../"+filepath.Base(outside), filepath.Join(lab, "files", "rel-out"))
	for _, tt := range []struct {
		rel     string
		outside bool
		missing bool
	}{
		{"files/a", false, false},
		{"files/link", false, false},
		{"files/../files/a", false, false},
		{".", false, false},
		{"files/out", true, false},
		{"dir-out/secret", true, false},
		{"files/rel-out", true, false},
		{"../x", true, false},
		{filepath.Join(outside, "secret"), true, false},
		{"files/none", false, true},
	} {
		got, err := Resolve(lab, tt.rel)
		switch {
		case errors.Is(err, ErrOutside) != tt.outside:
			t.Errorf("%s: err = %v, outside %v", tt.rel, err, tt.outside)
		case errors.Is(err, fs.ErrNotExist) != tt.missing:
			t.Errorf("%s: err = %v, want missing %v", tt.rel, err, tt.missing)
		case err == nil && !Within(lab, got):
			t.Errorf("%s resolved to %s", tt.rel, got)
		}
	}
}

func TestOpen(t *testing.T) {
	lab := t.TempDir()
	os.WriteFile(filepath.Join(lab, "a"), []byte("in"), 0o644)
	os.Symlink("/etc/hostname", filepath.Join(lab, "b"))
	f, err := Open(lab, "a")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	if string(data) != "in" {
		t.Errorf("read %q", data)
	}
	if _, err := Open(lab, "b"); !errors.Is(err, ErrOutside) {
		t.Errorf("Open through a symlink out: %v", err)
	}
}

func TestWithin(t *testing.T) {
	for p, want := range map[string]bool{"/a": true, "/a/b": true, "/ab": false, "/": false, "/a/../b": false} {
		if Within("/a", filepath.Clean(p)) != want {
			t.Errorf("Within(/a, %s) = %v", p, !want)
		}
	}
}
