package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/internal/digest"
	"github.com/vlab-dev/vlab/internal/staging"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// labDir is where the lab is staged: a folder of the lab's own name (the
// manifest's, validated), as a lab's name must be its folder's.
func (st *stage) labDir() string { return filepath.Join(st.dir, "lab", st.m.Lab) }

// checkLab loads the staged lab and checks the bundle against it: every
// image and package set the manifest lists is one a VM of the lab uses,
// every puppet repository is a git bundle file in the lab, every disk is a
// standalone qcow2.
func (st *stage) checkLab(ctx context.Context) (*labfile.Lab, error) {
	dir := st.labDir()
	if st.got[labPrefix+labfile.FileName] == "" {
		return nil, fmt.Errorf("bundle has no %s%s", labPrefix, labfile.FileName)
	}
	lab, err := labfile.Load(filepath.Join(dir, labfile.FileName))
	if err != nil {
		return nil, fmt.Errorf("the bundle's lab: %w", err)
	}
	// Its name is the manifest's: the folder it is staged in, which
	// validation holds the name to.
	usedImages, usedPackages := map[string]bool{}, map[int]bool{}
	debs, err := provision.LabDebDir(lab)
	if err != nil {
		return nil, err
	}
	hasDebs := debs != ""
	for _, v := range lab.VMs {
		usedImages[v.Image] = true
		for i, s := range v.Provision {
			at := fmt.Sprintf("vm %s: provision step %d", v.Name, i+1)
			switch {
			case s.Puppet != nil:
				if err := gitBundle(dir, s.Puppet); err != nil {
					return nil, fmt.Errorf("the bundle's lab: %s: %w", at, err)
				}
			case s.Packages != nil && !hasDebs:
				j := slices.IndexFunc(st.m.Packages, func(c Closure) bool { return c.Image == v.Image && maps.Equal(c.Pins, s.Packages) })
				if j < 0 {
					return nil, fmt.Errorf("the bundle lacks the packages of %s; create it again with `vlab bundle create`", at)
				}
				usedPackages[j] = true
			}
		}
	}
	for i, c := range st.m.Packages {
		if !usedPackages[i] {
			return nil, fmt.Errorf("manifest packages[%d] (image %s) are used by no step of the lab; a bundle carries only what its lab needs", i, c.Image)
		}
		if err := st.checkClosure(c); err != nil {
			return nil, fmt.Errorf("manifest packages[%d] (image %s): %w", i, c.Image, err)
		}
	}
	for _, img := range st.m.Images {
		if !usedImages[img.Name] {
			return nil, fmt.Errorf("manifest image %s is booted by no VM of the lab; a bundle carries only what its lab needs", img.Name)
		}
		disk := st.got[img.entry(File{Name: images.DiskFile})]
		if _, err := images.CheckDisk(ctx, disk); err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Name, err)
		}
	}
	return lab, nil
}

// gitBundle checks that a puppet step's repo names a git bundle file
// inside the lab folder (or that the step is vlab's kit alone).
func gitBundle(labDir string, p *labfile.Puppet) error {
	if err := bundlablePuppet(p); err != nil {
		return err
	}
	if p.Repo == "" {
		return nil
	}
	repo := p.Repo
	root, err := os.OpenRoot(labDir)
	if err != nil {
		return err
	}
	defer root.Close()
	f, err := root.Open(repo)
	if err != nil {
		return fmt.Errorf("puppet repo %s: %w", repo, err)
	}
	defer f.Close()
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(f, hdr); err != nil || (string(hdr) != "# v2 git bundle\n" && string(hdr) != "# v3 git bundle\n") {
		return fmt.Errorf("puppet repo %s is not a git bundle", repo)
	}
	return nil
}

// commit moves what was staged into place: images into the store, .debs
// into the package cache's store with the lab's record of them, and the
// lab folder last.
func (st *stage) commit(ctx context.Context, lab *labfile.Lab) (*Result, error) {
	res := &Result{Manifest: st.m, LabDir: filepath.Join(st.opt.LabsDir, st.m.Lab)}
	for _, img := range st.m.Images {
		if _, err := st.opt.Images.Get(img.Name); err == nil {
			res.Kept = append(res.Kept, img.Name)
			continue
		}
		f := images.Files{KernelRelease: img.Kernel, Move: true}
		for _, file := range img.Files {
			p := st.got[img.entry(file)]
			switch file.Name {
			case images.DiskFile:
				f.Disk = p
			case images.KernelFile:
				f.Kernel = p
			case images.InitrdFile:
				f.Initrd = p
			case images.StatusFile:
				f.Status = p
			}
		}
		if _, err := st.opt.Images.Import(ctx, img.Name, f); err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Name, err)
		}
	}
	if err := st.commitPackages(ctx); err != nil {
		return nil, err
	}
	if err := st.commitLab(ctx, res.LabDir); err != nil {
		return nil, fmt.Errorf("lab %s: %w", lab.Name, err)
	}
	return res, nil
}

// checkClosure checks a package set against the image it is for: the
// machine's image of that name when it has one (the bundle's is then
// kept), else the bundle's.
func (st *stage) checkClosure(c Closure) error {
	status := st.got[Image{Name: c.Image}.entry(File{Name: images.StatusFile})]
	if img, err := st.opt.Images.Get(c.Image); err == nil {
		status = img.Status
	} else if !slices.ContainsFunc(st.m.Images, func(i Image) bool { return i.Name == c.Image }) {
		return fmt.Errorf("the bundle does not bring image %s and this machine has none: create the bundle again with `vlab bundle create`", c.Image)
	}
	if status == "" {
		return fmt.Errorf("image %s has no dpkg status file, so packages cannot be recorded for it; rebuild it with `vlab images build`", c.Image)
	}
	return provision.CheckClosure(provision.FetchSpec{Pins: c.Pins, Status: status, CacheDir: st.opt.CacheDir}, c.provisionDebs())
}

// provisionDebs are the closure's packages as provision records them.
func (c Closure) provisionDebs() []provision.Deb {
	debs := make([]provision.Deb, len(c.Debs))
	for i, d := range c.Debs {
		debs[i] = provision.Deb{Package: d.Package, Version: d.Version, Arch: d.Arch, SHA256: d.SHA256}
	}
	return debs
}

// commitPackages puts the .debs in the package cache's store, named by
// their sha256, and records each package set in the staged lab folder:
// they are the bundle's lab's alone, and no closure record other labs
// read is written or replaced.
func (st *stage) commitPackages(ctx context.Context) error {
	var closures []provision.LabClosure
	for i, c := range st.m.Packages {
		img, err := st.opt.Images.Get(c.Image)
		if err != nil {
			return err
		}
		spec := provision.FetchSpec{Pins: c.Pins, ImageDigest: img.Digest, Status: img.Status, CacheDir: st.opt.CacheDir}
		lc, err := provision.NewLabClosure(spec, c.provisionDebs())
		if err != nil {
			return fmt.Errorf("manifest packages[%d] (image %s): %w", i, c.Image, err)
		}
		closures = append(closures, lc)
	}
	if len(closures) == 0 {
		return nil
	}
	for _, c := range st.m.Packages {
		for _, d := range c.Debs {
			if err := st.storeDeb(ctx, d); err != nil {
				return fmt.Errorf("package cache: %w", err)
			}
		}
	}
	return provision.WriteLabPackages(st.labDir(), closures)
}

// storeDeb puts a staged .deb in the store. A file already there with the
// same content is kept; one with other content is damaged (its name is
// its sha256) and is replaced whole, by a rename.
func (st *stage) storeDeb(ctx context.Context, d Deb) error {
	dst := filepath.Join(provision.DebStore(st.opt.CacheDir), d.SHA256+".deb")
	if _, sum, err := digest.File(ctx, dst); err == nil && sum == d.SHA256 {
		return nil
	}
	return moveFile(ctx, st.got[d.entry()], dst)
}

// commitLab moves the staged lab folder to dst, 0755 folders. Across
// filesystems it is copied into a hidden folder beside dst, lab.yaml last,
// so that no half lab is ever listed, and renamed.
func (st *stage) commitLab(ctx context.Context, dst string) error {
	src := st.labDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			err = os.Chmod(p, 0o755)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(st.opt.LabsDir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(src, dst); !errors.Is(err, syscall.EXDEV) {
		return err
	}
	tmp, err := staging.New(st.opt.LabsDir, ".vlab-import-")
	if err != nil {
		return err
	}
	defer tmp.Close()
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.Mkdir(filepath.Join(tmp.Path, rel), 0o755)
		}
		if rel == labfile.FileName {
			return nil
		}
		return moveFile(ctx, p, filepath.Join(tmp.Path, rel))
	})
	if err == nil {
		err = moveFile(ctx, filepath.Join(src, labfile.FileName), filepath.Join(tmp.Path, labfile.FileName))
	}
	if err == nil {
		err = os.Chmod(tmp.Path, 0o755)
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Path, dst)
}

// moveFile renames src to dst, or copies it (keeping its mode) atomically
// when they are on different filesystems.
func moveFile(ctx context.Context, src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	return atomicfile.Copy(ctx, src, dst, st.Mode().Perm())
}
