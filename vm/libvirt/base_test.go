package libvirt

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/vm"
)

// onlyBase is the pool's one complete upload of an image.
func onlyBase(t *testing.T, f *fakeLibvirt) baseVolumes {
	t.Helper()
	m := f.volsWithPrefix("image-")
	var done []string
	for _, v := range m {
		if strings.HasSuffix(v, ".complete") {
			done = append(done, v)
		}
	}
	if len(done) != 1 {
		t.Fatalf("pool volumes %q, want one complete upload", m)
	}
	return baseNames(strings.TrimSuffix(done[0], ".complete"))
}

// baseOf is the bottom of the backing chain of VM name's disk.
func baseOf(t *testing.T, f *fakeLibvirt, name string) string {
	t.Helper()
	p := diskOf(parseDomain(t, f.domains[name].xml))
	for {
		v := f.byPath(p)
		if v == nil {
			t.Fatalf("vm %s: %s is not in the pool", name, p)
		}
		if v.backing == "" {
			return p
		}
		p = v.backing
	}
}

// rewrite gives an image's disk new bytes and a later modification time,
// as `vlab images build --force` does.
func rewrite(t *testing.T, img vm.Image, size int) {
	t.Helper()
	disk := make([]byte, size)
	copy(disk, "QFI\xfb")
	binary.BigEndian.PutUint64(disk[24:], 2<<30)
	if err := os.WriteFile(img.Disk, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	os.Chtimes(img.Disk, later, later)
}

// TestBaseStaysUnderItsVMs: an image rebuilt under the same digest, or the
// same recipe built in another VLAB_HOME, gets base volumes of its own;
// the first ones stay, unchanged, under the VM and the frozen disk made
// on them, and serve their files again without another upload.
func TestBaseStaysUnderItsVMs(t *testing.T) {
	for _, tt := range []struct {
		name   string
		second func(t *testing.T, first vm.Image) vm.Image
	}{
		{"rebuilt with --force", func(t *testing.T, first vm.Image) vm.Image {
			rewrite(t, first, 128)
			return first
		}},
		{"another home", func(t *testing.T, first vm.Image) vm.Image {
			other := testImage(t, true)
			rewrite(t, other, 128)
			return other
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			d, f := testDriver(t)
			first := testImage(t, true)
			if err := d.Create(ctx, testSpec("a", first)); err != nil {
				t.Fatal(err)
			}
			if err := d.Snapshot(ctx, "a", "golden"); err != nil {
				t.Fatal(err)
			}
			old := onlyBase(t, f)
			oldDisk, oldData := f.vols[old.disk], bytes.Clone(f.vols[old.disk].data)
			second := tt.second(t, first)
			if err := d.Create(ctx, testSpec("b", second)); err != nil {
				t.Fatal(err)
			}
			if f.vols[old.disk] != oldDisk || !bytes.Equal(oldDisk.data, oldData) || f.vols[old.done] == nil {
				t.Fatalf("the base volume under vm a was replaced: pool %q", f.volNames())
			}
			if got := baseOf(t, f, "a"); got != oldDisk.path {
				t.Errorf("vm a is on %s, want %s", got, oldDisk.path)
			}
			if got := baseOf(t, f, "b"); got == oldDisk.path || len(f.byPath(got).data) != 128 {
				t.Errorf("vm b is on %s, not on its own files", got)
			}
			if k := parseDomain(t, f.domains["a"].xml).OS.Kernel; f.byPath(k) == nil || k != d.path(old.kernel) {
				t.Errorf("vm a boots kernel %s, want %s", k, d.path(old.kernel))
			}
			if tt.name == "another home" {
				n := len(f.uploads)
				if err := d.Create(ctx, testSpec("c", first)); err != nil {
					t.Fatal(err)
				}
				if len(f.uploads) != n || baseOf(t, f, "c") != oldDisk.path {
					t.Errorf("the first home's files uploaded again: %q", f.uploads[n:])
				}
			}
			f.checkConsistent(t)
		})
	}
}

// TestBaseLeavesUnfinishedUploads: volumes without a marker may be another
// process's upload under way; they are neither used nor removed.
func TestBaseLeavesUnfinishedUploads(t *testing.T) {
	ctx := context.Background()
	d, f := testDriver(t)
	img := testImage(t, false)
	prefix, err := basePrefix(img)
	if err != nil {
		t.Fatal(err)
	}
	half := baseNames(prefix + "00000000")
	d.createVolume(half.disk, "raw", 1, "")
	if err := d.Create(ctx, testSpec("a", img)); err != nil {
		t.Fatal(err)
	}
	if f.vols[half.disk] == nil {
		t.Error("another upload's volume was removed")
	}
	if got := baseOf(t, f, "a"); got == d.path(half.disk) || len(f.byPath(got).data) != 64 {
		t.Errorf("vm a is on %s, not on a complete upload", got)
	}
}

// TestBaseTakesFirstComplete: of several complete uploads of the same
// files every user takes the same; one missing a file is passed over.
func TestBaseTakesFirstComplete(t *testing.T) {
	d, _ := testDriver(t)
	for _, stem := range []string{"image-x-y-0a", "image-x-y-0b", "image-x-y-0c"} {
		n := baseNames(stem)
		for _, v := range []string{n.kernel, n.initrd, n.done} {
			d.createVolume(v, "raw", 0, "")
		}
		if stem != "image-x-y-0a" {
			d.createVolume(n.disk, "raw", 0, "")
		}
	}
	got, ok, err := d.findBase("image-x-y-", true)
	if err != nil || !ok || got != baseNames("image-x-y-0b") {
		t.Errorf("findBase = %+v, %v, %v; want image-x-y-0b", got, ok, err)
	}
}

// TestBaseFailedUploadRemovesItsVolumes: an upload cut short leaves none
// of the volumes it made.
func TestBaseFailedUploadRemovesItsVolumes(t *testing.T) {
	d, f := testDriver(t)
	img := testImage(t, true)
	os.Remove(img.Initrd)
	os.Mkdir(img.Initrd, 0o755) // opens, but cannot be read
	if err := d.Create(context.Background(), testSpec("a", img)); err == nil {
		t.Fatal("Create with an unreadable initrd succeeded")
	}
	if left := f.volsWithPrefix("image-"); len(left) != 0 {
		t.Errorf("a failed upload left %q", left)
	}
	if len(f.uploads) != 2 || filepath.Ext(f.uploads[1]) != ".vmlinuz" {
		t.Errorf("uploads %q, want the disk and kernel before the failure", f.uploads)
	}
}
