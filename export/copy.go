package export

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// errInsideLab is wrapped when the export's folder lies in the lab's.
var errInsideLab = errors.New("is inside the lab's folder")

// prepareDir makes the export's folder and returns it with symlinks
// resolved. It refuses a folder that is not empty, and one that is the
// lab's folder or inside it: the lab is copied into the export, which would
// then copy itself.
func prepareDir(labDir, dir string) (string, error) {
	lab, err := filepath.EvalSymlinks(labDir)
	if err != nil {
		return "", fmt.Errorf("lab folder: %w", err)
	}
	if lab, err = filepath.Abs(lab); err != nil {
		return "", err
	}
	if err := outside(lab, dir); err != nil {
		return "", err
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return "", fmt.Errorf("%s is not empty; export into a new or empty folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Check again now that it exists: the kernel, not path cleaning, has
	// resolved every `..` and symlink of it.
	if err := outside(lab, dir); err != nil {
		os.Remove(dir)
		return "", err
	}
	return realPath(dir)
}

// outside refuses dir when, symlinks resolved, it is lab or lies inside it.
func outside(lab, dir string) error {
	real, err := realPath(dir)
	if err != nil {
		return fmt.Errorf("export folder %s: %w", dir, err)
	}
	if rel, err := filepath.Rel(lab, real); err == nil && filepath.IsLocal(rel) {
		return fmt.Errorf("export folder %s %w (%s); choose a folder outside it", dir, errInsideLab, lab)
	}
	return nil
}

// realPath is the absolute path p names with every symlink resolved; the
// part of it that does not exist yet is kept as written.
func realPath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p // not Join: `..` must meet resolved symlinks
	}
	r, err := filepath.EvalSymlinks(p)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return r, err
	}
	trimmed := strings.TrimRight(p, string(filepath.Separator))
	i := strings.LastIndexByte(trimmed, filepath.Separator)
	if i < 0 {
		return "", err
	}
	parent, base := trimmed[:i], trimmed[i+1:]
	if parent == "" {
		parent = string(filepath.Separator)
	}
	rp, err := realPath(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(rp, base), nil
}

// copyLab copies the lab's folder to dst. Everything is read through a
// root confined to the lab's folder: a symlink to a file inside it is
// copied as that file, one that leaves it is refused.
func copyLab(labDir, dst string) error {
	return copyTree(labDir, ".", dst)
}

// copyTree copies rel, a file or folder under base, to dst, reading only
// inside base.
func copyTree(base, rel, dst string) error {
	root, err := os.OpenRoot(base)
	if err != nil {
		return err
	}
	defer root.Close()
	top := filepath.ToSlash(filepath.Clean(rel))
	return fs.WalkDir(root.FS(), top, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return refusal(base, name, err)
		}
		sub := name
		if top != "." {
			sub = strings.TrimPrefix(strings.TrimPrefix(name, top), "/")
		}
		target := filepath.Join(dst, filepath.FromSlash(sub))
		info, err := root.Stat(name) // follows symlinks, inside base only
		if err != nil {
			return refusal(base, name, err)
		}
		switch {
		case info.IsDir() && d.Type()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symlink to a folder; vlab copies only files through symlinks: replace it by the folder", filepath.Join(base, name))
		case info.IsDir():
			return os.MkdirAll(target, dirMode(info.Mode()))
		case info.Mode().IsRegular():
			return copyFile(root, name, target)
		}
		return fmt.Errorf("%s is not a regular file or folder; remove it from the lab", filepath.Join(base, name))
	})
}

// refusal says why a lab file could not be read.
func refusal(base, name string, err error) error {
	path := filepath.Join(base, name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is a symlink to nothing; remove it from the lab", path)
	}
	if lst, lerr := os.Lstat(path); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink that leaves the lab folder; copy the file into the lab instead", path)
	}
	return fmt.Errorf("read %s: %w", path, err)
}

// copyFileOf copies file name of folder base to dst.
func copyFileOf(base, name, dst string) error {
	root, err := os.OpenRoot(base)
	if err != nil {
		return err
	}
	defer root.Close()
	return copyFile(root, name, dst)
}

// copyFile copies a regular file of root to dst with a mode from fileMode.
func copyFile(root *os.Root, name, dst string) error {
	// O_NONBLOCK: a file swapped for a FIFO since it was looked at must not
	// hang the export.
	in, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return refusal(root.Name(), name, err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file; remove it from the lab", filepath.Join(root.Name(), name))
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode(info.Mode()))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", filepath.Join(root.Name(), name), err)
	}
	return out.Close()
}

// fileMode is the mode a copied file gets: 0644, or 0755 when the source
// is executable, and never wider than the source. Setuid, setgid and
// sticky bits are never copied.
func fileMode(src fs.FileMode) fs.FileMode {
	m := fs.FileMode(0o644)
	if src&0o111 != 0 {
		m = 0o755
	}
	return m & src.Perm()
}

// dirMode is fileMode for a folder, which its owner can always enter and
// write.
func dirMode(src fs.FileMode) fs.FileMode {
	return 0o755&src.Perm() | 0o700
}
