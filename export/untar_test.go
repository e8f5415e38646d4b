package export

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one member of a test archive.
type entry struct {
	name, link, body string
	typ              byte
	mode             int64
}

func writeArchive(t *testing.T, entries []entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tree.tar.gz")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: e.mode, Size: int64(len(e.body))}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil && e.typ == tar.TypeReg {
			t.Fatal(err)
		}
	}
	for _, c := range []interface{ Close() error }{tw, zw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func TestUntarKeepsATree(t *testing.T) {
	archive := writeArchive(t, []entry{
		{name: "pax_global_header", typ: tar.TypeXGlobalHeader},
		{name: "manifests/", typ: tar.TypeDir, mode: 0o775},
		{name: "manifests/site.pp", typ: tar.TypeReg, mode: 0o664, body: "include x\n"},
		{name: "bin/run", typ: tar.TypeReg, mode: 0o4777, body: "#!/bin/sh\n"},
		{name: "private", typ: tar.TypeReg, mode: 0o600, body: "p"},
		{name: "site.pp", typ: tar.TypeSymlink, link: "manifests/site.pp"},
		{name: "deep/up", typ: tar.TypeSymlink, link: "../manifests"},
		{name: "dangling", typ: tar.TypeSymlink, link: "nothing/here"},
	})
	dst := filepath.Join(t.TempDir(), "tree")
	if err := untar(archive, dst); err != nil {
		t.Fatal(err)
	}
	wantModes(t, dst, map[string]os.FileMode{
		"manifests":         os.ModeDir | 0o755,
		"manifests/site.pp": 0o644,
		"bin/run":           0o755,
		"private":           0o600,
		"site.pp":           os.ModeSymlink | 0o777,
	})
	if got := read(t, filepath.Join(dst, "deep/up/site.pp")); got != "include x\n" {
		t.Errorf("deep/up/site.pp is %q", got)
	}
}

func TestUntarRefuses(t *testing.T) {
	for _, tt := range []struct {
		name    string
		entries []entry
		want    string
	}{
		{"parent", []entry{{name: "../evil", typ: tar.TypeReg, body: "x"}}, `"../evil" leaves the tree`},
		{"deep parent", []entry{{name: "a/../../evil", typ: tar.TypeReg, body: "x"}}, "leaves the tree"},
		{"absolute", []entry{{name: "/tmp/evil", typ: tar.TypeReg, body: "x"}}, "leaves the tree"},
		{"absolute link", []entry{{name: "passwd", typ: tar.TypeSymlink, link: "/etc/passwd"}}, "symlink passwd -> /etc/passwd leaves the tree"},
		{"link up", []entry{{name: "a/up", typ: tar.TypeSymlink, link: "../.."}}, "symlink a/up -> ../.. leaves the tree"},
		{"link through link", []entry{
			{name: "deep/s", typ: tar.TypeSymlink, link: ".."},
			{name: "deep/a", typ: tar.TypeSymlink, link: "s/.."},
		}, "symlink deep/a -> s/.. leaves the tree"},
		{"link loop", []entry{
			{name: "a", typ: tar.TypeSymlink, link: "b"},
			{name: "b", typ: tar.TypeSymlink, link: "a"},
		}, "leaves the tree"},
		{"under a link", []entry{
			{name: "d", typ: tar.TypeSymlink, link: "."},
			{name: "d/x", typ: tar.TypeReg, body: "x"},
		}, `"d/x" lies under the symlink d`},
		{"device", []entry{{name: "sda", typ: tar.TypeBlock}}, `"sda" is not a file, folder or symlink`},
		{"hard link", []entry{{name: "h", typ: tar.TypeLink, link: "/etc/shadow"}}, "not a file, folder or symlink"},
		{"twice", []entry{
			{name: "f", typ: tar.TypeReg, body: "1"},
			{name: "f", typ: tar.TypeReg, body: "2"},
		}, `"f" comes twice`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			outside := t.TempDir()
			dst := filepath.Join(outside, "tree")
			err := untar(writeArchive(t, tt.entries), dst)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
			if _, err := os.Lstat(filepath.Join(outside, "evil")); err == nil {
				t.Error("an entry was written outside the tree")
			}
		})
	}
}
