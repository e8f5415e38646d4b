package libvirt

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

var (
	_ vm.Golden        = (*Driver)(nil)
	_ vm.GuestRunner   = (*Driver)(nil)
	_ vm.Fingerprinter = (*Driver)(nil)
)

// Fingerprint is the QEMU version libvirt runs guests with: a save file
// restores only into the QEMU it was written by (and its machine types).
func (d *Driver) Fingerprint(ctx context.Context) (string, error) {
	v, err := d.l.ConnectGetVersion()
	if err != nil {
		return "", fmt.Errorf("hypervisor version: %w", translate(err))
	}
	return fmt.Sprintf("qemu %d.%d.%d", v/1000000, v/1000%1000, v%1000), nil
}

// The golden store keeps saved states for the whole host, each entry two
// pool volumes: vlab-golden-<id>.save, a save file recorded under a
// template domain of that name, and vlab-golden-<id>.disk.qcow2, its frozen
// disk (an overlay of the base image). A VM adopts an entry through its
// own copy of the save file, rewritten to its name, labels, networks and
// port, on an overlay of the entry's disk; instances come and go, the
// entry stays until removed. The store is kept where vlab reaches the
// pool's files (poolfiles.go): on this machine as root, where vlab copies
// them, and on a remote host whose login may write the pool over SFTP,
// where libvirtd copies them on the host (a disk's copy is flattened:
// measured 745 MiB in 4.4 s for a lab on the base image) and vlab writes
// only the save files' headers. Elsewhere (a member of the libvirt group,
// a host without SFTP) every instance provisions: save-file headers would
// go through go-libvirt's streams, which can hang the connection
// (volio.go).

const goldenPrefix = "vlab-golden-"

// goldenName is the template domain of key's entry.
func goldenName(key string) string {
	h := sha256.Sum256([]byte(key))
	return goldenPrefix + hex.EncodeToString(h[:8])
}

func goldenSave(t string) string { return t + ".save" }
func goldenDisk(t string) string { return t + ".disk.qcow2" }

// PublishGolden copies VM name's saved state tag and its frozen disk into
// the store under key. The disk is copied first and each file lands under
// its name only when complete, the save file last: an entry is there when
// its save file is.
func (d *Driver) PublishGolden(ctx context.Context, name, tag, key string) error {
	if d.files == nil {
		return nil
	}
	t := goldenName(key)
	if _, err := d.files.Stat(d.path(goldenSave(t))); err == nil {
		return d.files.Touch(d.path(goldenSave(t)))
	}
	head, err := d.saveHead(saveName(name, tag))
	if err != nil {
		return err
	}
	out, frozen, err := d.publishedHead(head, key)
	if err != nil {
		return fmt.Errorf("publish saved state %q of vm %s: %w", tag, name, err)
	}
	if err := d.copyIn(ctx, frozen, goldenDisk(t), "qcow2", nil); err != nil {
		return fmt.Errorf("publish the frozen disk of vm %s: %w", name, err)
	}
	if err := d.copyIn(ctx, d.path(saveName(name, tag)), goldenSave(t), "raw", out); err != nil {
		return fmt.Errorf("publish saved state %q of vm %s: %w", tag, name, err)
	}
	return nil
}

// publishedHead is a saved state's header as key's entry records it: the
// entry's template domain, on the entry's disk, labelled with key; frozen
// is the disk the state was saved on.
func (d *Driver) publishedHead(head []byte, key string) (out []byte, frozen string, err error) {
	t := goldenName(key)
	uuid := newUUID()
	out, err = editSave(head, func(dom *libvirtxml.Domain) error {
		frozen = diskOf(dom)
		if frozen == "" {
			return errors.New("saved state has no disk")
		}
		dom.Name, dom.UUID = t, uuid
		setDisk(dom, d.path(goldenDisk(t)))
		labels := labelsOf(dom)
		labels["golden"] = key
		md, err := labelsXMLText(labels)
		dom.Metadata = &libvirtxml.DomainMetadata{XML: md}
		return err
	})
	return out, frozen, err
}

// AdoptGolden writes VM spec.Name's saved state tag as its own copy of
// key's entry: its name, a new UUID, its labels, lab networks, console log
// and SSH port; the entry's disk stays its frozen disk.
func (d *Driver) AdoptGolden(ctx context.Context, key string, spec vm.Spec, tag string) error {
	t := goldenName(key)
	if d.files == nil {
		return fmt.Errorf("golden state %s: %w (%s)", t, vm.ErrNotFound, d.NoStore())
	}
	if _, err := d.files.Stat(d.path(goldenSave(t))); err != nil {
		return fmt.Errorf("golden state %s: %w", t, vm.ErrNotFound)
	}
	head, err := d.saveHead(goldenSave(t))
	if err != nil {
		return err
	}
	out, err := d.adoptedHead(head, spec)
	if err != nil {
		return fmt.Errorf("adopt golden state %s as vm %s: %w", t, spec.Name, err)
	}
	if err := d.copyIn(ctx, d.path(goldenSave(t)), saveName(spec.Name, tag), "raw", out); err != nil {
		return fmt.Errorf("adopt golden state %s as vm %s: %w", t, spec.Name, err)
	}
	return d.files.Touch(d.path(goldenSave(t)))
}

// adoptedHead is an entry's header as VM spec's own saved state records
// it: its name, a new UUID, its labels, lab networks, console log and SSH
// port (and its kernel command line, for a cold boot).
func (d *Driver) adoptedHead(head []byte, spec vm.Spec) ([]byte, error) {
	uuid := newUUID()
	return editSave(head, func(dom *libvirtxml.Domain) error {
		dom.Name, dom.UUID = spec.Name, uuid
		md, err := labelsXMLText(spec.Labels)
		dom.Metadata = &libvirtxml.DomainMetadata{XML: md}
		setForwardPort(dom, spec.SSHPort)
		setConsole(dom, d.path(spec.Name+".console"))
		if dom.OS != nil && dom.OS.Kernel != "" {
			// Its own key and addresses at a cold boot, too.
			dom.OS.Cmdline = KernelCmdline(spec.KernelArgs)
		}
		return errors.Join(err, setNetworks(dom, spec.Networks))
	})
}

// Goldens lists the store's entries.
func (d *Driver) Goldens(ctx context.Context) ([]vm.GoldenInfo, error) {
	if d.files == nil {
		return nil, nil
	}
	saves, err := d.files.Glob(d.path(goldenPrefix + "*.save"))
	if err != nil {
		return nil, err
	}
	var out []vm.GoldenInfo
	for _, p := range saves {
		t := strings.TrimSuffix(filepath.Base(p), ".save")
		head, err := d.saveHead(goldenSave(t))
		if err != nil {
			continue // being removed, or not ours
		}
		var labels map[string]string
		editSave(head, func(dom *libvirtxml.Domain) error { labels = labelsOf(dom); return nil })
		info := vm.GoldenInfo{Key: labels["golden"], Labels: labels}
		for _, f := range []string{goldenSave(t), goldenDisk(t)} {
			if fi, err := d.files.Stat(d.path(f)); err == nil {
				info.Bytes += fi.Size()
				if f == goldenSave(t) {
					info.Used = fi.ModTime()
				}
			}
		}
		delete(info.Labels, "golden")
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Used.After(out[j].Used) })
	return out, nil
}

// RemoveGolden removes key's entry: its save file first, so that it is
// gone for adopters before its disk is. VMs that adopted it keep running
// on overlays of the disk until they are destroyed (the disk's file stays
// open in their QEMU; their next restore fails and provisions anew).
func (d *Driver) RemoveGolden(ctx context.Context, key string) error {
	if d.files == nil {
		return nil
	}
	t := goldenName(key)
	for _, v := range []string{goldenSave(t), goldenSave(t) + ".part", goldenDisk(t), goldenDisk(t) + ".part"} {
		if err := d.files.Remove(d.path(v)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove golden state %s: %w", t, err)
		}
	}
	d.l.StoragePoolRefresh(d.pool, 0)
	return nil
}

// saveHead reads the header and data (domain XML, cookie) of a save file
// of the store's pool.
func (d *Driver) saveHead(vol string) ([]byte, error) {
	f, err := d.files.Open(d.path(vol))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	head := make([]byte, saveHeaderLen)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("%s: %w", vol, err)
	}
	h, err := parseSaveHeader(head)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", vol, err)
	}
	data := make([]byte, h.dataLen)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("%s: %w", vol, err)
	}
	return append(head, data...), nil
}

var _ vm.StoreKeeper = (*Driver)(nil)

// NoStore says why this host keeps no golden states, "" when it keeps them.
func (d *Driver) NoStore() string {
	if d.files != nil {
		return ""
	}
	if d.filesWhy != "" {
		return "kept only where vlab reaches the pool's files: " + d.filesWhy
	}
	return "kept only where vlab reaches the pool's files"
}

// copyIn copies the pool's file src (a path) to its volume dst, replacing
// the copy's first len(head) bytes with head; dst appears only when
// complete (through dst.part). On this machine vlab copies the bytes; on
// a remote host libvirtd copies them there, as a volume of format, and
// vlab writes the head over SFTP.
func (d *Driver) copyIn(ctx context.Context, src, dst, format string, head []byte) error {
	tmp := dst + ".part"
	if d.local {
		return copyFile(ctx, d.files, src, d.path(dst), head)
	}
	sv, err := d.lookup(filepath.Base(src))
	if err != nil {
		return err
	}
	if err := d.deleteVolume(tmp); err != nil {
		return err
	}
	if _, err := d.cloneVolume(sv, tmp, format); err != nil {
		return err
	}
	if head != nil {
		err = d.writeHead(tmp, head)
	}
	if err == nil {
		err = d.files.Rename(d.path(tmp), d.path(dst))
	}
	if err != nil {
		d.deleteVolume(tmp)
	}
	d.l.StoragePoolRefresh(d.pool, 0)
	return err
}

// copyFile copies src to dst through dst.part, replacing its first
// len(head) bytes with head, then renames it into place.
func copyFile(ctx context.Context, fs poolFiles, src, dst string, head []byte) error {
	in, err := fs.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	out, err := fs.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, ctxReader{ctx, in})
	if err == nil && head != nil {
		_, err = out.WriteAt(head, 0)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(tmp, dst)
	}
	if err != nil {
		fs.Remove(tmp)
	}
	return err
}

func newUUID() string {
	u := make([]byte, 16)
	rand.Read(u)
	u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[:4], u[4:6], u[6:8], u[8:10], u[10:])
}
