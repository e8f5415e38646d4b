package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/digest"
	"github.com/vlab-dev/vlab/internal/staging"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// CreateOptions says where Create finds what a lab needs.
type CreateOptions struct {
	Images   *images.Store
	CacheDir string    // the package cache, for the pinned packages
	Verbose  io.Writer // apt's output while packages are resolved
}

// plan is what goes into a bundle: the manifest and where each file of it
// is on this machine, by entry name.
type plan struct {
	m     Manifest
	files map[string]string
}

// Create writes lab, the images its VMs boot and the .debs its pinned
// packages resolve to (fetched now, online, unless the lab has a debs/
// folder) to out, a .tar.gz. out is written whole or not at all.
func Create(ctx context.Context, lab *labfile.Lab, out string, opt CreateOptions) (*Manifest, error) {
	p, err := newPlan(ctx, lab, opt)
	if err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(out, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Discard()
	if err := p.write(ctx, f, lab.Dir); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", lab.Name, err)
	}
	return &p.m, f.Commit()
}

func newPlan(ctx context.Context, lab *labfile.Lab, opt CreateOptions) (*plan, error) {
	p := &plan{m: Manifest{Format: Format, Lab: lab.Name, Created: time.Now().UTC()}, files: map[string]string{}}
	debs, err := provision.LabDebDir(lab)
	if err != nil {
		return nil, err
	}
	hasDebs := debs != ""
	for _, v := range lab.VMs {
		img, err := opt.Images.Get(v.Image)
		if err != nil {
			return nil, fmt.Errorf("vm %s: %w; build or import it first", v.Name, err)
		}
		if err := p.addImage(ctx, v.Image, img); err != nil {
			return nil, err
		}
		for i, s := range v.Provision {
			switch {
			case s.Puppet != nil:
				if err := bundlablePuppet(s.Puppet); err != nil {
					return nil, fmt.Errorf("%s: vm %s: provision step %d: %w", lab.File, v.Name, i+1, err)
				}
			case s.Packages != nil && !hasDebs:
				// Resolve the closure now, online, so that the other machine
				// needs no network.
				debs, err := provision.Fetch(ctx, provision.FetchSpec{Pins: s.Packages,
					ImageDigest: img.Digest, Status: img.Status, CacheDir: opt.CacheDir, LabDir: lab.Dir, Verbose: opt.Verbose})
				if err != nil {
					return nil, fmt.Errorf("vm %s: packages: %w", v.Name, err)
				}
				if err := p.addClosure(v.Image, s.Packages, debs); err != nil {
					return nil, err
				}
			}
		}
	}
	return p, nil
}

func (p *plan) addImage(ctx context.Context, name string, img *images.Image) error {
	if slices.ContainsFunc(p.m.Images, func(i Image) bool { return i.Name == name }) {
		return nil
	}
	bi := Image{Name: name, Kernel: img.Manifest.Kernel}
	for _, f := range []struct{ name, path string }{
		{images.DiskFile, img.Disk}, {images.KernelFile, img.Kernel}, {images.InitrdFile, img.Initrd}, {images.StatusFile, img.Status},
	} {
		if f.path == "" {
			continue
		}
		size, sum, err := digest.File(ctx, f.path)
		if err != nil {
			return fmt.Errorf("image %s: %w", name, err)
		}
		file := File{Name: f.name, Size: size, SHA256: sum}
		bi.Files = append(bi.Files, file)
		p.files[bi.entry(file)] = f.path
	}
	p.m.Images = append(p.m.Images, bi)
	return nil
}

func (p *plan) addClosure(image string, pins map[string]string, debs []provision.Deb) error {
	c := Closure{Image: image, Pins: pins, Debs: []Deb{}}
	for _, d := range debs {
		st, err := os.Stat(d.Path)
		if err != nil {
			return fmt.Errorf("package cache: %w", err)
		}
		bd := Deb{Package: d.Package, Version: d.Version, Arch: d.Arch, Size: st.Size(), SHA256: d.SHA256}
		c.Debs = append(c.Debs, bd)
		p.files[bd.entry()] = d.Path
	}
	p.m.Packages = append(p.m.Packages, c)
	return nil
}

// write writes the bundle: the manifest first, then the lab folder, then
// the image and package files in the manifest's order.
func (p *plan) write(ctx context.Context, w io.Writer, labDir string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	data, err := json.MarshalIndent(p.m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(data)), ModTime: p.m.Created}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := addTree(ctx, tw, labDir, labPrefix); err != nil {
		return fmt.Errorf("lab folder %s: %w", labDir, err)
	}
	for _, img := range p.m.Images {
		for _, f := range img.Files {
			if err := addFile(ctx, tw, p.files[img.entry(f)], img.entry(f)); err != nil {
				return fmt.Errorf("image %s: %w", img.Name, err)
			}
		}
	}
	done := map[string]bool{}
	for _, c := range p.m.Packages {
		for _, d := range c.Debs {
			if !done[d.entry()] {
				done[d.entry()] = true
				if err := addFile(ctx, tw, p.files[d.entry()], d.entry()); err != nil {
					return fmt.Errorf("package cache: %w", err)
				}
			}
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// addTree adds the regular files under dir. Symlinks and other special
// files are refused, so that a bundle never points outside itself; .git
// folders are left out, as Import refuses them, and so is the lab's record
// of its bundle's packages: the manifest carries them, and Import writes
// the record.
func addTree(ctx context.Context, tw *tar.Writer, dir, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case rel == labfile.BundlePackagesName:
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file; bundles hold files and folders only", p)
		}
		return addFile(ctx, tw, p, prefix+filepath.ToSlash(rel))
	})
}

func addFile(ctx context.Context, tw *tar.Writer, src, name string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: int64(st.Mode().Perm()), Size: st.Size(), ModTime: st.ModTime()}); err != nil {
		return err
	}
	_, err = staging.Copy(ctx, tw, f)
	return err
}

// bundlablePuppet accepts puppet steps a bundle can carry: a git bundle
// file inside the lab folder (a folder's history lives in the git
// repository around it, and a URL's in vlab's cache of that URL), or
// vlab's kit at a tag with no repository of the lab's own: the kit's
// history is inside vlab, and a vlab that lacks the tag refuses the lab
// on import, naming the newest kit it has.
func bundlablePuppet(p *labfile.Puppet) error {
	if p.Kit != "" && p.Repo == "" {
		return nil
	}
	if strings.HasSuffix(p.Repo, ".bundle") && !filepath.IsAbs(p.Repo) && filepath.IsLocal(p.Repo) {
		return nil
	}
	return fmt.Errorf("puppet repo %q cannot travel in a bundle: keep the puppet history in the lab as a git bundle (`git bundle create puppet.bundle --all`) and name it in repo:", p.Repo)
}
