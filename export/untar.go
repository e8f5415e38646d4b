package export

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxTree caps what one puppet tree may unpack to.
const maxTree = 1 << 30

// untar unpacks a .tar.gz of a tree (provision.ExportPuppet's archive) into
// dst, which it creates. The archive comes from a lab's repository, so it is
// held to what a git tree can hold: folders, regular files and symlinks,
// each named inside dst (written through a root confined to it), no entry
// under a symlink, and no symlink whose target, followed through the other
// symlinks, leaves the tree. Modes follow fileMode; the total is capped.
func untar(archive, dst string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("read %s: %w", archive, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return err
	}
	defer root.Close()
	u := &unpacker{root: root, links: map[string]string{}, left: maxTree}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", archive, err)
		}
		if err := u.entry(h, tr); err != nil {
			return err
		}
	}
	for name := range u.links {
		if !u.inside(name) {
			return fmt.Errorf("symlink %s -> %s leaves the tree; vlab exports no link out of it", name, u.links[name])
		}
	}
	return nil
}

// unpacker writes the entries of one archive.
type unpacker struct {
	root  *os.Root
	links map[string]string // symlink name -> target, as in the archive
	left  int64             // bytes still allowed
}

func (u *unpacker) entry(h *tar.Header, r io.Reader) error {
	if h.Typeflag == tar.TypeXGlobalHeader {
		return nil // git's commit id comment
	}
	name := path.Clean(strings.TrimPrefix(h.Name, "./"))
	if name == "." {
		return nil
	}
	if !filepath.IsLocal(name) {
		return fmt.Errorf("archive entry %q leaves the tree", h.Name)
	}
	if l := u.underLink(name); l != "" {
		return fmt.Errorf("archive entry %q lies under the symlink %s", h.Name, l)
	}
	if _, dup := u.links[name]; dup {
		return fmt.Errorf("archive entry %q comes twice", h.Name)
	}
	if err := u.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return u.root.MkdirAll(name, dirMode(h.FileInfo().Mode()))
	case tar.TypeReg:
		return u.file(name, h, r)
	case tar.TypeSymlink:
		if path.IsAbs(h.Linkname) || h.Linkname == "" {
			return fmt.Errorf("symlink %s -> %s leaves the tree; vlab exports no link out of it", name, h.Linkname)
		}
		u.links[name] = h.Linkname
		return u.root.Symlink(h.Linkname, name)
	}
	return fmt.Errorf("archive entry %q is not a file, folder or symlink", h.Name)
}

func (u *unpacker) file(name string, h *tar.Header, r io.Reader) error {
	if h.Size > u.left {
		return fmt.Errorf("the tree is larger than %d MiB; vlab exports no larger puppet tree", maxTree>>20)
	}
	u.left -= h.Size
	// O_EXCL: never write through a symlink or over an earlier entry.
	out, err := u.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode(h.FileInfo().Mode()))
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("archive entry %q comes twice", h.Name)
	}
	if err != nil {
		return err
	}
	if _, err := io.CopyN(out, r, h.Size); err != nil {
		out.Close()
		return fmt.Errorf("archive entry %q: %w", h.Name, err)
	}
	return out.Close()
}

// underLink returns the symlink an entry's folder goes through, or "".
func (u *unpacker) underLink(name string) string {
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if _, ok := u.links[dir]; ok {
			return dir
		}
	}
	return ""
}

// inside follows name through the tree's symlinks, as the kernel would,
// and tells whether it stays inside the tree. Nothing but the archive is
// in the tree, so its own symlinks are all there is to follow.
func (u *unpacker) inside(name string) bool {
	var cur []string
	pending := strings.Split(name, "/")
	for hops := 0; len(pending) > 0; {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return false
			}
			cur = cur[:len(cur)-1]
			continue
		}
		target, ok := u.links[path.Join(append(cur, c)...)]
		if !ok {
			cur = append(cur, c)
			continue
		}
		if hops++; hops > 40 || path.IsAbs(target) {
			return false
		}
		pending = append(strings.Split(target, "/"), pending...)
	}
	return true
}
