package libvirt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkg/sftp"

	"github.com/vlab-dev/vlab/vm"
)

// TestGoldenOnRemoteHost: on a host whose pool vlab reaches over SFTP, a
// VM's saved state is published (libvirtd copies the files, vlab writes
// the header), listed, adopted by another VM that restores from it with
// its own name and port on an overlay of the entry's disk, and removed.
func TestGoldenOnRemoteHost(t *testing.T) {
	ctx := context.Background()
	d, f, _ := goldenVM(t)
	d.files = newFakeFiles(f) // a remote host's: not local
	if why := d.NoStore(); why != "" {
		t.Errorf("NoStore of a host whose files vlab reaches: %q", why)
	}
	if err := d.PublishGolden(ctx, "a", "golden", "k1/a"); err != nil {
		t.Fatal(err)
	}
	if err := d.PublishGolden(ctx, "a", "golden", "k1/a"); err != nil {
		t.Fatalf("publishing again: %v", err)
	}
	tmpl := goldenName("k1/a")
	if got := f.volsWithPrefix(goldenPrefix); len(got) != 2 {
		t.Fatalf("the store's volumes %v, want the save file and the disk (no .part)", got)
	}
	if dom, _ := savedDomain(t, d, goldenSave(tmpl)); dom.Name != tmpl || diskOf(dom) != d.path(goldenDisk(tmpl)) {
		t.Errorf("the entry's header: name %s, disk %s", dom.Name, diskOf(dom))
	}
	list, err := d.Goldens(ctx)
	if err != nil || len(list) != 1 || list[0].Key != "k1/a" || list[0].Bytes == 0 || list[0].Used.IsZero() {
		t.Fatalf("Goldens = %+v, %v", list, err)
	}
	b := testSpec("b", testImage(t, false))
	b.SSHPort++
	if err := d.AdoptGolden(ctx, "k1/a", b, "golden"); err != nil {
		t.Fatal(err)
	}
	if err := d.Restore(ctx, "b", "golden"); err != nil {
		t.Fatal(err)
	}
	if got := f.domains["b"].fwd; got != b.SSHPort {
		t.Errorf("the adopter's forward on %d, want %d", got, b.SSHPort)
	}
	if got := f.byPath(currentDisk(t, f, "b")).backing; got != d.path(goldenDisk(tmpl)) {
		t.Errorf("the adopter runs on an overlay of %s, want the entry's disk", got)
	}
	if err := d.AdoptGolden(ctx, "k2/a", b, "golden"); !errors.Is(err, vm.ErrNotFound) {
		t.Errorf("adopting a key the store lacks: %v", err)
	}
	if err := d.RemoveGolden(ctx, "k1/a"); err != nil {
		t.Fatal(err)
	}
	if list, _ := d.Goldens(ctx); len(list) != 0 {
		t.Errorf("Goldens after RemoveGolden = %+v", list)
	}
	if left := f.volsWithPrefix(goldenPrefix); len(left) != 0 {
		t.Errorf("RemoveGolden left %v", left)
	}
}

// TestNoStoreThroughLibvirtd: where vlab does not reach the pool's files,
// no golden state is kept, and adopting says why.
func TestNoStoreThroughLibvirtd(t *testing.T) {
	ctx := context.Background()
	d, f, _ := goldenVM(t)
	d.filesWhy = "no SFTP on the host"
	if why := d.NoStore(); !strings.Contains(why, "no SFTP on the host") {
		t.Errorf("NoStore = %q", why)
	}
	if err := d.PublishGolden(ctx, "a", "golden", "k1/a"); err != nil {
		t.Fatal(err)
	}
	if got := f.volsWithPrefix(goldenPrefix); len(got) != 0 {
		t.Errorf("published through libvirtd: %v", got)
	}
	err := d.AdoptGolden(ctx, "k1/a", testSpec("b", testImage(t, false)), "golden")
	if !errors.Is(err, vm.ErrNotFound) || !strings.Contains(fmt.Sprint(err), "no SFTP on the host") {
		t.Errorf("adopt: %v", err)
	}
}

// TestSFTPFiles: the pool's files over a real SFTP server (pkg/sftp's, on
// a pipe): made 0600, written at an offset, read back, renamed over an
// existing file, listed, touched, removed; and a folder the login may not
// write is told.
func TestSFTPFiles(t *testing.T) {
	c1, c2 := net.Pipe() // closing one end ends both
	srv, err := sftp.NewServer(c1)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	cl, err := sftp.NewClientPipe(c2, c2)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	fs, dir := sftpFiles{cl}, t.TempDir()
	if err := writable(fs, dir); err != nil {
		t.Fatal(err)
	}
	if err := writable(fs, filepath.Join(dir, "missing")); err == nil {
		t.Error("a folder that is not there is writable")
	}
	p := filepath.Join(dir, "a.save")
	w, err := fs.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("0123456789"))
	w.WriteAt([]byte("ab"), 2)
	w.Close()
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("made %v, %v; want 0600", fi.Mode(), err)
	}
	os.WriteFile(filepath.Join(dir, "b.save"), []byte("old"), 0o600)
	if err := fs.Rename(p, filepath.Join(dir, "b.save")); err != nil {
		t.Fatal(err)
	}
	r, err := fs.Open(filepath.Join(dir, "b.save"))
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if n, err := r.ReadAt(b, 1); (err != nil && err != io.EOF) || string(b[:n]) != "1ab4" {
		t.Errorf("ReadAt = %q, %v", b[:n], err)
	}
	r.Close()
	if got, _ := fs.Glob(filepath.Join(dir, "*.save")); len(got) != 1 || filepath.Base(got[0]) != "b.save" {
		t.Errorf("Glob = %v", got)
	}
	if err := fs.Touch(filepath.Join(dir, "b.save")); err != nil {
		t.Error(err)
	}
	if err := fs.Remove(filepath.Join(dir, "b.save")); err != nil {
		t.Error(err)
	}
	if _, err := fs.Stat(filepath.Join(dir, "b.save")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stat after Remove: %v", err)
	}
}
