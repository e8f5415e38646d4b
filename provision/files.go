package provision

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/labfile"
)

// guestUploadDir holds tarballs between their upload and their unpacking.
const guestUploadDir = "/var/cache/vlab/upload"

// CopyFile copies f.Src (a file or a directory tree, relative to labDir)
// to f.Dest in the guest with f's mode and owner, in one upload and one
// command: the tree travels as a tarball. A file's mode applies to it; in
// a tree the mode applies to every file, and directories get it with
// search permission wherever it grants read. Without a mode the source's
// permissions are kept; without an owner the files belong to root. The
// source is read through os.Root: a symlink that leads outside the lab
// folder is refused; symlinks inside a tree travel as symlinks.
func CopyFile(ctx context.Context, r Runner, labDir string, f labfile.File, out io.Writer) error {
	if !path.IsAbs(f.Dest) || path.Clean(f.Dest) == "/" {
		return fmt.Errorf("file %s: destination %q must be an absolute path below /", f.Src, f.Dest)
	}
	var mode *fs.FileMode
	if f.Mode != "" {
		m, err := labfile.ParseMode(f.Mode)
		if err != nil {
			return fmt.Errorf("file %s: %w", f.Src, err)
		}
		mode = new(fs.FileMode(m))
	}
	root, err := openLabFile(labDir, f.Src)
	if err != nil {
		return err
	}
	defer root.Close()
	archive, err := os.CreateTemp("", "vlab-file-*.tar.gz")
	if err != nil {
		return fmt.Errorf("file %s: %w", f.Src, err)
	}
	defer os.Remove(archive.Name())
	isDir, err := writeTarball(archive, root, f.Src, path.Base(f.Dest), mode)
	if cerr := archive.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pack %s: %w", f.Src, err)
	}
	guestArchive := path.Join(guestUploadDir, path.Base(archive.Name()))
	if err := r.Upload(ctx, archive.Name(), guestArchive); err != nil {
		return fmt.Errorf("upload %s: %w", f.Src, err)
	}
	if err := guestRun(ctx, r, "guest", unpackCommand(guestArchive, f, isDir), out); err != nil {
		return fmt.Errorf("copy %s to %s: %w", f.Src, f.Dest, err)
	}
	return nil
}

// unpackCommand unpacks archive at f.Dest and gives what it unpacked to
// f.Owner; files already in a destination folder keep their owner.
func unpackCommand(archive string, f labfile.File, isDir bool) string {
	dest := path.Clean(f.Dest)
	base := path.Dir(dest)
	if isDir {
		base = dest
	}
	cmd := fmt.Sprintf("mkdir -p %[1]s && tar -xzf %[2]s -C %[1]s --no-same-owner", quote(base), quote(archive))
	if f.Owner != "" {
		cmd += fmt.Sprintf(" && tar -tzf %s | (cd %s && xargs -r -d '\\n' chown -h -- %s)", quote(archive), quote(base), quote(f.Owner))
	}
	return cmd + " && rm -f " + quote(archive)
}

// openLabFile checks that src, a path in labDir, stays in it once symlinks
// are followed, and returns labDir as an os.Root to read src through.
func openLabFile(labDir, src string) (*os.Root, error) {
	if _, err := confine.Resolve(labDir, src); err != nil {
		if errors.Is(err, confine.ErrOutside) {
			return nil, fmt.Errorf("file %s: %w; keep the file in the lab folder", src, err)
		}
		return nil, fmt.Errorf("pack %s: %w", src, err)
	}
	root, err := os.OpenRoot(labDir)
	if err != nil {
		return nil, fmt.Errorf("file %s: %w", src, err)
	}
	return root, nil
}

// writeTarball writes src, a path in root, as a gzipped tar to w: a file
// as the single entry name, a directory as its contents below "./". mode,
// when set, replaces the permissions. It reports whether src is a
// directory.
func writeTarball(w io.Writer, root *os.Root, src, name string, mode *fs.FileMode) (isDir bool, err error) {
	src = path.Clean(filepath.ToSlash(src))
	st, err := root.Stat(src)
	if err != nil {
		return false, err
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	if st.IsDir() {
		err = addTree(tw, root, src, mode)
	} else {
		err = addEntry(tw, root, src, name, st, mode)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = zw.Close()
	}
	return st.IsDir(), err
}

func addTree(tw *tar.Writer, root *os.Root, top string, mode *fs.FileMode) error {
	return fs.WalkDir(root.FS(), top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(top, p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		name := "./" + filepath.ToSlash(rel)
		if rel == "." {
			name = "./"
		}
		return addEntry(tw, root, p, name, info, mode)
	})
}

// addEntry writes one file, directory or symlink; other kinds are refused
// rather than silently left out.
func addEntry(tw *tar.Writer, root *os.Root, p, name string, info fs.FileInfo, mode *fs.FileMode) error {
	var link string
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		var err error
		if link, err = root.Readlink(p); err != nil {
			return err
		}
	case !info.Mode().IsRegular() && !info.IsDir():
		return fmt.Errorf("%s is neither a file, a directory nor a symlink", p)
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	h.Name, h.Uid, h.Gid, h.Uname, h.Gname = name, 0, 0, "root", "root"
	if info.IsDir() && !strings.HasSuffix(h.Name, "/") {
		h.Name += "/"
	}
	if mode != nil && h.Typeflag != tar.TypeSymlink {
		h.Mode = int64(entryMode(*mode, info.IsDir()))
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := root.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyN(tw, f, h.Size)
	return err
}

// entryMode is mode for a file; a directory also gets search permission
// for whoever mode lets read.
func entryMode(mode fs.FileMode, dir bool) fs.FileMode {
	if dir {
		mode |= (mode & 0o444) >> 2
	}
	return mode
}
