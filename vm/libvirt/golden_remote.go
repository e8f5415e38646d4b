package libvirt

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
	"libvirt.org/go/libvirtxml"

	"github.com/vlab-dev/vlab/vm"
)

// The golden store on a host whose pool vlab reaches only through libvirtd
// (a remote host, or vlab run by a member of the libvirt group): the same
// two volumes per entry, copied by libvirtd on its host and their headers
// read and written through its streams. libvirtd's copy of a qcow2 volume
// converts it, so the entry's disk is the frozen disk with its backing
// chain flattened (measured: 745 MiB in 4.4 s for a lab on the base
// image). An entry is there when its save file's header names its key:
// that header is written last.

// publishThroughLibvirt is PublishGolden through libvirtd.
func (d *Driver) publishThroughLibvirt(name, tag, key string) error {
	t := goldenName(key)
	if _, err := d.lookup(goldenSave(t)); err == nil {
		return nil // kept already
	}
	src, err := d.lookup(saveName(name, tag))
	if err != nil {
		return fmt.Errorf("vm %s has no saved state %q: %w", name, tag, err)
	}
	head, err := d.volHead(src)
	if err != nil {
		return fmt.Errorf("saved state %q of vm %s: %w", tag, name, err)
	}
	out, frozen, err := d.publishedHead(head, key)
	if err != nil {
		return fmt.Errorf("publish saved state %q of vm %s: %w", tag, name, err)
	}
	fv, err := d.lookup(filepath.Base(frozen))
	if err != nil {
		return fmt.Errorf("frozen disk of vm %s: %w", name, err)
	}
	d.deleteVolume(goldenDisk(t)) // a publication cut short
	if _, err := d.cloneVolume(fv, goldenDisk(t), "qcow2"); err != nil {
		return fmt.Errorf("publish the frozen disk of vm %s: %w", name, err)
	}
	if err := d.cloneSave(src, goldenSave(t), out); err != nil {
		if errors.Is(err, vm.ErrExists) {
			return nil // another instance published it meanwhile
		}
		return fmt.Errorf("publish saved state %q of vm %s: %w", tag, name, err)
	}
	return nil
}

// adoptThroughLibvirt is AdoptGolden through libvirtd.
func (d *Driver) adoptThroughLibvirt(key string, spec vm.Spec, tag string) error {
	t := goldenName(key)
	src, err := d.lookup(goldenSave(t))
	if err != nil {
		return fmt.Errorf("golden state %s: %w", t, vm.ErrNotFound)
	}
	head, err := d.volHead(src)
	if err != nil {
		return fmt.Errorf("golden state %s: %w", t, err)
	}
	out, err := d.adoptedHead(head, spec)
	if err != nil {
		return fmt.Errorf("adopt golden state %s as vm %s: %w", t, spec.Name, err)
	}
	if err := d.deleteVolume(saveName(spec.Name, tag)); err != nil {
		return err
	}
	if err := d.cloneSave(src, saveName(spec.Name, tag), out); err != nil {
		return fmt.Errorf("adopt golden state %s as vm %s: %w", t, spec.Name, err)
	}
	return nil
}

// goldensThroughLibvirt is Goldens through libvirtd. An entry's last use
// is when its save file was last written: libvirtd does not touch files.
func (d *Driver) goldensThroughLibvirt() ([]vm.GoldenInfo, error) {
	names, err := d.volumes(goldenPrefix)
	if err != nil {
		return nil, err
	}
	var out []vm.GoldenInfo
	for _, n := range names {
		if !strings.HasSuffix(n, ".save") {
			continue
		}
		t := strings.TrimSuffix(n, ".save")
		v, err := d.lookup(n)
		if err != nil {
			continue // being removed
		}
		head, err := d.volHead(v)
		if err != nil {
			continue // being written, or not ours
		}
		var labels map[string]string
		editSave(head, func(dom *libvirtxml.Domain) error { labels = labelsOf(dom); return nil })
		if labels["golden"] == "" {
			continue // its header not yet written
		}
		info := vm.GoldenInfo{Key: labels["golden"], Labels: labels}
		for _, f := range []string{goldenSave(t), goldenDisk(t)} {
			fv, err := d.lookup(f)
			if err != nil {
				continue
			}
			if _, _, alloc, err := d.l.StorageVolGetInfo(fv); err == nil {
				info.Bytes += int64(alloc)
			}
			if f == goldenSave(t) {
				info.Used = d.volModified(fv)
			}
		}
		delete(info.Labels, "golden")
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Used.After(out[j].Used) })
	return out, nil
}

// volModified is when a volume was last written, from libvirtd's
// description of it; the zero time when it does not say.
func (d *Driver) volModified(v golibvirt.StorageVol) time.Time {
	x, err := d.l.StorageVolGetXMLDesc(v, 0)
	if err != nil {
		return time.Time{}
	}
	var vx libvirtxml.StorageVolume
	if vx.Unmarshal(x) != nil || vx.Target == nil || vx.Target.Timestamps == nil {
		return time.Time{}
	}
	sec, frac, _ := strings.Cut(vx.Target.Timestamps.Mtime, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	return time.Unix(s, ns)
}
