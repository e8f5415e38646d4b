// Package confine keeps the paths a lab names inside the lab's folder: a
// path is resolved with every symlink followed and refused when it leads
// anywhere else, so that a lab from elsewhere cannot reach host files.
package confine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutside is wrapped when a path leads outside its folder.
var ErrOutside = errors.New("leads outside the lab folder")

// Resolve returns the real path of rel inside root: rel must be relative,
// and once every symlink on the way is followed the path must still lie in
// root (itself resolved). An error wraps ErrOutside when it does not, and
// fs.ErrNotExist when nothing is there.
func Resolve(root, rel string) (string, error) {
	if filepath.IsAbs(rel) {
		return "", fmt.Errorf("%s is an absolute path: it %w", rel, ErrOutside)
	}
	realRoot, err := Real(root)
	if err != nil {
		return "", err
	}
	p := filepath.Join(realRoot, rel)
	if !Within(realRoot, p) {
		return "", fmt.Errorf("%s %w", rel, ErrOutside)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	if !Within(realRoot, real) {
		return "", fmt.Errorf("%s %w (through a symlink to %s)", rel, ErrOutside, real)
	}
	return real, nil
}

// Real returns the absolute path of dir with every symlink followed.
func Real(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// Within reports whether path p is root or lies below it; both are taken
// as they are, lexically.
func Within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// Open opens rel in root for reading through os.Root, so that a symlink
// that leads outside root is refused at the moment of opening as well, not
// only when rel was resolved.
func Open(root, rel string) (*os.File, error) {
	if _, err := Resolve(root, rel); err != nil {
		return nil, err
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	f, err := r.Open(rel)
	if err != nil {
		if _, rerr := Resolve(root, rel); rerr != nil {
			return nil, rerr // it changed since
		}
		return nil, err
	}
	return f, nil
}
