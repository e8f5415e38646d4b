package bundle

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/vlab-dev/vlab/images"
	"github.com/vlab-dev/vlab/internal/debfile"
	"github.com/vlab-dev/vlab/internal/staging"
)

// Limits cap what an import writes, whatever the bundle says: a few MB of
// gzip can expand to terabytes.
type Limits struct {
	Entry   int64 // the largest file
	Total   int64 // all files together
	Files   int   // the number of files
	Reserve int64 // free space left on the filesystem of VLAB_HOME
}

// DefaultLimits fit a lab with a few base images.
var DefaultLimits = Limits{Entry: 32 << 30, Total: 64 << 30, Files: 20000, Reserve: 1 << 30}

// ImportOptions says where an imported bundle's parts go.
type ImportOptions struct {
	LabsDir  string        // the lab becomes LabsDir/<lab>
	Images   *images.Store // the image store
	CacheDir string        // the package cache; .debs go to its debs/ folder
	// TempDir holds the staging folder; it is under VLAB_HOME, never under
	// LabsDir, so that a killed import leaves no lab-looking folder.
	TempDir string
	Limits  Limits // zero means DefaultLimits
}

// Result is what Import did.
type Result struct {
	Manifest *Manifest
	LabDir   string
	// Kept names the images the bundle brought that were not imported
	// because this machine has an image of that name already.
	Kept []string
}

// stage is one import in progress: the bundle read so far and where its
// files were put.
type stage struct {
	opt     ImportOptions
	m       *Manifest
	dir     string            // the staging folder
	lab     *os.Root          // dir/lab
	want    map[string]string // entry name -> sha256, for image and package files
	size    map[string]int64  // entry name -> declared size
	debs    map[string]Deb    // entry name -> the package the manifest says it is
	got     map[string]string // entry name -> staged path
	files   int
	written int64
}

// Import reads the bundle file, checks everything in it against its
// manifest and against the lab it carries, stages it under TempDir, and
// moves it into place only when all of it checks out. The lab folder must
// not exist yet; images whose names this machine has are kept. A failed
// or cancelled import leaves nothing behind, and the next import removes
// what a killed one left.
func Import(ctx context.Context, file string, opt ImportOptions) (*Result, error) {
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tmp, err := staging.New(opt.TempDir, "bundle-import-")
	if err != nil {
		return nil, err
	}
	defer tmp.Close()
	st := &stage{opt: opt, dir: tmp.Path, got: map[string]string{}}
	if err := st.read(ctx, f); err != nil {
		return nil, err
	}
	lab, err := st.checkLab(ctx)
	if err != nil {
		return nil, err
	}
	return st.commit(ctx, lab)
}

func (st *stage) read(ctx context.Context, r io.Reader) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a vlab bundle (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	h, err := tr.Next()
	if err != nil || h.Name != manifestName || h.Typeflag != tar.TypeReg {
		return errors.New("not a vlab bundle: it does not start with " + manifestName)
	}
	if st.m, err = readManifest(tr); err != nil {
		return err
	}
	if err := st.expect(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(st.opt.LabsDir, st.m.Lab)); err == nil {
		return fmt.Errorf("lab %s exists already in %s: remove it, or import into another folder with --labs", st.m.Lab, st.opt.LabsDir)
	}
	labDir := st.labDir()
	if err := os.MkdirAll(labDir, 0o755); err != nil {
		return err
	}
	if st.lab, err = os.OpenRoot(labDir); err != nil {
		return err
	}
	defer st.lab.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read bundle: %w", err)
		}
		if err := st.entry(ctx, h, tr); err != nil {
			return err
		}
	}
	for name := range st.want {
		if st.got[name] == "" {
			return fmt.Errorf("bundle lacks %s, which its manifest lists", name)
		}
	}
	return nil
}

// expect lists the image and package files the manifest declares and
// checks their total against the limits and the free disk space.
func (st *stage) expect() error {
	st.want, st.size = map[string]string{}, map[string]int64{}
	var total int64
	add := func(name, sum string, size int64) error {
		if old, ok := st.want[name]; ok && old != sum {
			return fmt.Errorf("manifest %s: %s is listed twice with different digests", manifestName, name)
		}
		if _, ok := st.want[name]; !ok {
			total += size
		}
		st.want[name], st.size[name] = sum, size
		return nil
	}
	for _, img := range st.m.Images {
		for _, f := range img.Files {
			if err := add(img.entry(f), f.SHA256, f.Size); err != nil {
				return err
			}
		}
	}
	st.debs = map[string]Deb{}
	for _, c := range st.m.Packages {
		for _, d := range c.Debs {
			if err := add(d.entry(), d.SHA256, d.Size); err != nil {
				return err
			}
			if old, ok := st.debs[d.entry()]; ok && old.control() != d.control() {
				return fmt.Errorf("manifest %s: %s is listed as %s and as %s", manifestName, d.entry(), old.control(), d.control())
			}
			st.debs[d.entry()] = d
		}
	}
	if total > st.opt.Limits.Total {
		return fmt.Errorf("bundle declares %d MB of files; an import takes at most %d MB", total>>20, st.opt.Limits.Total>>20)
	}
	return st.room(total)
}

// room checks that n more bytes leave the reserve free on VLAB_HOME's
// filesystem.
func (st *stage) room(n int64) error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(st.dir, &fs); err != nil {
		return fmt.Errorf("free space of %s: %w", st.dir, err)
	}
	free := int64(fs.Bavail) * int64(fs.Bsize)
	if free-n < st.opt.Limits.Reserve {
		return fmt.Errorf("the bundle needs %d MB more and %s has %d MB free: free some space first", n>>20, st.opt.TempDir, free>>20)
	}
	return nil
}

// entry stages one tar entry after checking its kind, name and size.
func (st *stage) entry(ctx context.Context, h *tar.Header, r io.Reader) error {
	st.files++
	lim := st.opt.Limits
	switch {
	case h.Typeflag != tar.TypeReg:
		return fmt.Errorf("bundle entry %q is not a regular file", h.Name)
	case st.files > lim.Files:
		return fmt.Errorf("bundle has more than %d files", lim.Files)
	case h.Size < 0 || h.Size > lim.Entry:
		return fmt.Errorf("bundle entry %q is %d MB; an import takes files up to %d MB", h.Name, h.Size>>20, lim.Entry>>20)
	case st.written+h.Size > lim.Total:
		return fmt.Errorf("bundle holds more than %d MB", lim.Total>>20)
	case st.got[h.Name] != "":
		return fmt.Errorf("bundle entry %q comes twice", h.Name)
	}
	if err := st.room(h.Size); err != nil {
		return err
	}
	st.written += h.Size
	if strings.HasPrefix(h.Name, labPrefix) {
		return st.labFile(ctx, h, r)
	}
	sum, ok := st.want[h.Name]
	if !ok {
		return fmt.Errorf("bundle entry %q is not in its manifest; a bundle carries the lab folder, the images and the .debs it lists, nothing else", h.Name)
	}
	if h.Size != st.size[h.Name] {
		return fmt.Errorf("bundle entry %q is %d bytes, its manifest says %d", h.Name, h.Size, st.size[h.Name])
	}
	p := filepath.Join(st.dir, "files", filepath.FromSlash(h.Name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := copySum(ctx, out, r, h.Size, sum, 0o644); err != nil {
		return fmt.Errorf("bundle entry %q: %w", h.Name, err)
	}
	if d, ok := st.debs[h.Name]; ok {
		if err := checkDeb(p, d); err != nil {
			return fmt.Errorf("bundle entry %q: %w", h.Name, err)
		}
	}
	st.got[h.Name] = p
	return nil
}

// checkDeb checks that the package file p is the package the manifest
// says, by its own control fields, read with no dpkg and nothing run.
func checkDeb(p string, d Deb) error {
	c, err := debfile.Read(p)
	if err != nil {
		return err
	}
	if c != d.control() {
		return fmt.Errorf("its control fields say %s, its manifest says %s; the bundle is damaged or was altered", c, d.control())
	}
	return nil
}

// labFile stages a file of the lab folder: 0644, or 0755 when the bundle
// marks it executable, inside the lab's staging folder only.
func (st *stage) labFile(ctx context.Context, h *tar.Header, r io.Reader) error {
	rel, err := labPath(h.Name)
	if err != nil {
		return err
	}
	if dir := filepath.Dir(rel); dir != "." {
		if err := st.lab.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("bundle entry %q: %w", h.Name, err)
		}
	}
	mode := os.FileMode(0o644)
	if h.Mode&0o111 != 0 {
		mode = 0o755
	}
	out, err := st.lab.OpenFile(rel, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return fmt.Errorf("bundle entry %q: %w", h.Name, err)
	}
	if err := copySum(ctx, out, r, h.Size, "", mode); err != nil {
		return fmt.Errorf("bundle entry %q: %w", h.Name, err)
	}
	st.got[h.Name] = rel
	return nil
}

// copySum copies exactly size bytes of r to out, sets its mode (whatever
// the umask) and closes it; when sum is set, the bytes' sha256 must be sum.
func copySum(ctx context.Context, out *os.File, r io.Reader, size int64, sum string, mode os.FileMode) error {
	h := sha256.New()
	n, err := staging.Copy(ctx, io.MultiWriter(out, h), io.LimitReader(r, size))
	if err == nil {
		err = out.Chmod(mode)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return err
	case n != size:
		return fmt.Errorf("cut short at %d of %d bytes", n, size)
	case sum != "" && hex.EncodeToString(h.Sum(nil)) != sum:
		return errors.New("its sha256 is not the one in the manifest; the bundle is damaged or was altered")
	}
	return nil
}
