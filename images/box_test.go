package images

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteTar(t *testing.T) {
	dir := t.TempDir()
	disk := filepath.Join(dir, "box.img")
	os.WriteFile(disk, []byte("qcow2 bytes"), 0o600)
	box := filepath.Join(dir, "out.box")
	files := []tarFile{{name: "metadata.json", data: []byte("{}")}, {name: "box.img", path: disk}}
	if err := writeTar(context.Background(), box, files); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(box)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var got []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got = append(got, h.Name+"="+string(b))
	}
	if len(got) != 2 || got[0] != "metadata.json={}" || got[1] != "box.img=qcow2 bytes" {
		t.Errorf("box holds %q", got)
	}
}

// A box copies a disk of gigabytes: Ctrl-C must stop the copy and leave
// no box, half or whole, and no temporary file.
func TestWriteTarCancelled(t *testing.T) {
	dir := t.TempDir()
	disk := filepath.Join(dir, "box.img")
	os.WriteFile(disk, make([]byte, 8<<20), 0o600)
	box := filepath.Join(dir, "out.box")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := writeTar(ctx, box, []tarFile{{name: "box.img", path: disk}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("writeTar with a cancelled context: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
}
