package libvirt

import (
	"os"
	"path/filepath"
	"testing"

	golibvirt "github.com/digitalocean/go-libvirt"
)

// TestDirectVolumeIO: on this machine pool files are read and written
// directly, without libvirt's streams.
func TestDirectVolumeIO(t *testing.T) {
	dir := t.TempDir()
	d := &Driver{dir: dir, files: localFiles{}, local: true, l: newFake()} // the fake has no such volume: a stream would fail
	os.WriteFile(filepath.Join(dir, "v.save"), []byte("0123456789"), 0o600)
	vol := golibvirt.StorageVol{Name: "v.save"}
	if b, err := d.readVol(vol, 2, 4); err != nil || string(b) != "2345" {
		t.Fatalf("readVol = %q, %v", b, err)
	}
	if b, err := d.readVol(vol, 8, 100); err != nil || string(b) != "89" {
		t.Fatalf("readVol past the end = %q, %v", b, err)
	}
	if err := d.writeVolHead(vol, []byte("ab")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "v.save")); string(b) != "ab23456789" {
		t.Errorf("after writeVolHead: %q", b)
	}
}
