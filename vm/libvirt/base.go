package libvirt

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vlab-dev/vlab/vm"
)

// An image's files go into the pool as base volumes that VMs' overlays,
// frozen disks and the golden store's disks are backed by, and whose
// kernel and initrd domains boot. So a base volume is never deleted nor
// written again once complete: each copy of an image's files (a rebuild
// with `vlab images build --force`, or another VLAB_HOME's or user's build
// of the same recipe) gets volumes of its own, and the older ones stay
// for what still uses them. An upload is
// image-<digest>-<stamp>-<id>.{qcow2,vmlinuz,initrd}, its marker
// image-<digest>-<stamp>-<id>.complete made last; <id> is new for each
// upload, so two uploads of the same files (two users, two machines on
// one remote host) never write the same volume, and either one serves.
// Nothing removes base volumes: vlab cannot prove that none of them backs
// another user's VM or golden state, or a Vagrant domain.

// baseVolumes are the pool volume names of one upload of an image's files;
// done is its completion marker.
type baseVolumes struct{ disk, kernel, initrd, done string }

func baseNames(stem string) baseVolumes {
	return baseVolumes{disk: stem + ".qcow2", kernel: stem + ".vmlinuz", initrd: stem + ".initrd", done: stem + ".complete"}
}

// basePrefix starts the names of the uploads of this copy of img's files.
func basePrefix(img vm.Image) (string, error) {
	stamp, err := imageStamp(img)
	if err != nil {
		return "", err
	}
	return "image-" + img.Digest[:16] + "-" + stamp + "-", nil
}

// imageStamp identifies the local copy of an image's files by their sizes
// and modification times: `vlab images build --force` rebuilds an image
// under the same digest, and its new files must not take the old ones'
// volumes.
func imageStamp(img vm.Image) (string, error) {
	h := sha256.New()
	for _, p := range []string{img.Disk, img.Kernel, img.Initrd} {
		if p == "" {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("image file: %w", err)
		}
		fmt.Fprintf(h, "%s %d %d\n", filepath.Base(p), st.Size(), st.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// ensureImage returns a complete upload of this copy of img's files,
// uploading them when the pool has none.
func (d *Driver) ensureImage(ctx context.Context, img vm.Image) (baseVolumes, error) {
	prefix, err := basePrefix(img)
	if err != nil {
		return baseVolumes{}, err
	}
	// Only saves this user's parallel runs a second upload.
	unlock, err := lockLocal("vlab-pool-" + d.opt.Pool + "-" + img.Digest[:16])
	if err != nil {
		return baseVolumes{}, err
	}
	defer unlock()
	names, ok, err := d.findBase(prefix, img.Kernel != "")
	if err != nil || ok {
		return names, err
	}
	return d.uploadBase(ctx, img, prefix)
}

// findBase finds a complete upload under prefix, the first by name, so
// that every user of the same files takes the same one.
func (d *Driver) findBase(prefix string, kernel bool) (baseVolumes, bool, error) {
	vols, err := d.listed(prefix)
	if err != nil {
		return baseVolumes{}, false, fmt.Errorf("storage pool %q: %w", d.opt.Pool, err)
	}
	sort.Strings(vols)
	have := map[string]bool{}
	for _, v := range vols {
		have[v] = true
	}
	for _, v := range vols {
		stem, ok := strings.CutSuffix(v, ".complete")
		if !ok {
			continue
		}
		n := baseNames(stem)
		if have[n.disk] && (!kernel || have[n.kernel] && have[n.initrd]) {
			return n, true, nil
		}
	}
	return baseVolumes{}, false, nil
}

// uploadBase uploads img's files as new volumes under prefix, the marker
// last; a failed upload removes the volumes it made, which nothing uses.
func (d *Driver) uploadBase(ctx context.Context, img vm.Image, prefix string) (baseVolumes, error) {
	var id [4]byte
	rand.Read(id[:])
	names := baseNames(prefix + hex.EncodeToString(id[:]))
	uploads := [][2]string{{img.Disk, names.disk}}
	if img.Kernel != "" {
		uploads = append(uploads, [2]string{img.Kernel, names.kernel}, [2]string{img.Initrd, names.initrd})
	}
	var made []string
	err := func() error {
		for _, u := range uploads {
			if err := d.upload(ctx, u[0], u[1]); err != nil {
				return err
			}
			made = append(made, u[1])
		}
		return d.createVolume(names.done, "raw", 0, "")
	}()
	if err != nil {
		for _, v := range made {
			d.deleteVolume(v)
		}
		return baseVolumes{}, err
	}
	return names, nil
}
