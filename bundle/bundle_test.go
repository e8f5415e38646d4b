package bundle

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, p, data string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	write(t, filepath.Join(src, "labs/shop/lab.yaml"), "name: shop\n")
	write(t, filepath.Join(src, "labs/shop/debs/a_1.0_amd64.deb"), "deb-a")
	write(t, filepath.Join(src, "images/sha256-abc/disk.qcow2"), "disk")
	write(t, filepath.Join(src, "images/sha256-abc/manifest.json"), "{}")
	write(t, filepath.Join(src, "cache/closures/k.json"), "closure")
	write(t, filepath.Join(src, "cache/apt/x/b_2.0_amd64.deb"), "deb-b")
	write(t, filepath.Join(src, "cache/unrelated"), "not bundled")
	var buf bytes.Buffer
	err := Write(&buf, Source{Lab: "shop", LabDir: filepath.Join(src, "labs/shop"),
		Images: []Image{{Name: "debian-12", Digest: "abc"}}, ImagesDir: filepath.Join(src, "images"),
		CacheFiles: []string{"closures/k.json", "apt/x/b_2.0_amd64.deb"}, CacheDir: filepath.Join(src, "cache")})
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	d := Dest{LabsDir: filepath.Join(dst, "labs"), ImagesDir: filepath.Join(dst, "images"), CacheDir: filepath.Join(dst, "cache")}
	os.MkdirAll(d.LabsDir, 0o755)
	m, err := Read(bytes.NewReader(buf.Bytes()), d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Lab != "shop" || len(m.Images) != 1 {
		t.Errorf("manifest %+v", m)
	}
	for p, want := range map[string]string{
		"labs/shop/lab.yaml":             "name: shop\n",
		"labs/shop/debs/a_1.0_amd64.deb": "deb-a",
		"images/sha256-abc/disk.qcow2":   "disk",
		"images/tags/debian-12":          "abc",
		"cache/closures/k.json":          "closure",
		"cache/apt/x/b_2.0_amd64.deb":    "deb-b",
	} {
		if got := read(t, filepath.Join(dst, p)); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "cache/unrelated")); err == nil {
		t.Error("a cache file not asked for was bundled")
	}
	left, _ := filepath.Glob(filepath.Join(dst, "*", ".import-*"))
	if len(left) > 0 {
		t.Errorf("temporary folders left: %v", left)
	}
	// A second import must not replace the lab the trainer may have edited.
	if _, err := Read(bytes.NewReader(buf.Bytes()), d); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("second import: %v, want 'exists already'", err)
	}
}

func TestWriteRefusesSymlinks(t *testing.T) {
	lab := t.TempDir()
	write(t, filepath.Join(lab, "lab.yaml"), "x")
	os.Symlink("/etc/passwd", filepath.Join(lab, "leak"))
	err := Write(&bytes.Buffer{}, Source{Lab: "x", LabDir: lab})
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Write with a symlink in the lab = %v", err)
	}
}

// hostile builds a gzipped tar with a valid manifest and one more entry.
func hostile(t *testing.T, name string, typ byte) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	man := `{"format":1,"lab":"x"}`
	tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(man))})
	tw.Write([]byte(man))
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: 1, Typeflag: typ, Linkname: "/etc/passwd"})
	if typ == tar.TypeReg {
		tw.Write([]byte("x"))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestReadRefusesEscapes(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  byte
	}{
		{"lab/../../evil", tar.TypeReg},
		{"/etc/evil", tar.TypeReg},
		{"cache/../../evil", tar.TypeReg},
		{"lab/link", tar.TypeSymlink},
		{"other/file", tar.TypeReg},
		{"images/disk.qcow2", tar.TypeReg},
	} {
		dst := t.TempDir()
		d := Dest{LabsDir: dst, ImagesDir: filepath.Join(dst, "images"), CacheDir: filepath.Join(dst, "cache")}
		if _, err := Read(bytes.NewReader(hostile(t, c.name, c.typ)), d); err == nil {
			t.Errorf("entry %q (type %c) was accepted", c.name, c.typ)
		}
		if _, err := os.Stat(filepath.Join(dst, "x")); err == nil {
			t.Errorf("entry %q: a lab was imported from a refused bundle", c.name)
		}
	}
	if _, err := Read(strings.NewReader("plain text"), Dest{}); err == nil || !strings.Contains(err.Error(), "not a vlab bundle") {
		t.Errorf("a non-bundle: %v", err)
	}
}
