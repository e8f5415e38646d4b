// Package bundle carries a lab to a machine with no network: one .tar.gz
// holding the lab folder (with its .debs and puppet bundle), the base images
// its VMs boot, and the package-cache files its pinned packages resolved to.
// Importing it on the other machine puts each part where vlab looks for it.
package bundle

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/atomicfile"
)

// Format is the bundle layout version written in the manifest.
const Format = 1

// Manifest is the first file of a bundle.
type Manifest struct {
	Format  int       `json:"format"`
	Lab     string    `json:"lab"`
	Images  []Image   `json:"images"`
	Created time.Time `json:"created"`
}

// Image names one base image in the bundle: its tag and its store folder.
type Image struct {
	Name   string `json:"name"`
	Digest string `json:"digest"`
}

// Source is what to put in a bundle.
type Source struct {
	Lab    string // lab name
	LabDir string // the lab's folder
	// Images are store folders (sha256-<digest>) by image, under ImagesDir.
	Images    []Image
	ImagesDir string
	// CacheFiles are paths relative to CacheDir.
	CacheFiles []string
	CacheDir   string
}

const (
	manifestName = "vlab-bundle.json"
	labPrefix    = "lab/"
	imagePrefix  = "images/"
	cachePrefix  = "cache/"
)

// Write writes the bundle of src to w.
func Write(w io.Writer, src Source) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	m := Manifest{Format: Format, Lab: src.Lab, Images: src.Images, Created: time.Now().UTC()}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(data)), ModTime: m.Created}); err != nil {
		return err
	}
	if _, err := tw.Write(data); err != nil {
		return err
	}
	if err := addTree(tw, src.LabDir, labPrefix); err != nil {
		return fmt.Errorf("lab folder %s: %w", src.LabDir, err)
	}
	for _, img := range src.Images {
		dir := "sha256-" + img.Digest
		if err := addTree(tw, filepath.Join(src.ImagesDir, dir), imagePrefix+dir+"/"); err != nil {
			return fmt.Errorf("image %s: %w", img.Name, err)
		}
	}
	for _, f := range src.CacheFiles {
		if err := addFile(tw, filepath.Join(src.CacheDir, f), cachePrefix+filepath.ToSlash(f)); err != nil {
			return fmt.Errorf("package cache: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// addTree adds the regular files under dir; symlinks and other special
// files are refused, so that a bundle never points outside itself.
func addTree(tw *tar.Writer, dir, prefix string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s is not a regular file; bundles hold files and folders only", p)
		}
		return addFile(tw, p, prefix+filepath.ToSlash(rel))
	})
}

func addFile(tw *tar.Writer, src, name string) error {
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
	_, err = io.Copy(tw, f)
	return err
}

// Dest says where an imported bundle's parts go.
type Dest struct {
	LabsDir   string // the lab becomes LabsDir/<lab>
	ImagesDir string // the image store
	CacheDir  string // the package cache
}

// Read imports a bundle from r. The lab folder must not exist yet; images
// and cache files already present are kept (their names are their content).
// It returns the bundle's manifest.
func Read(r io.Reader, dst Dest) (*Manifest, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a vlab bundle (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	h, err := tr.Next()
	if err != nil || h.Name != manifestName {
		return nil, errors.New("not a vlab bundle: it does not start with " + manifestName)
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("bundle manifest: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("bundle format %d; this vlab reads format %d", m.Format, Format)
	}
	if !validName(m.Lab) {
		return nil, fmt.Errorf("bundle manifest: lab name %q", m.Lab)
	}
	labDir := filepath.Join(dst.LabsDir, m.Lab)
	if _, err := os.Stat(labDir); err == nil {
		return nil, fmt.Errorf("lab %s exists already in %s: remove it, or import into another folder with --labs", m.Lab, dst.LabsDir)
	}
	// The lab lands in a temporary folder and is renamed at the end, so an
	// interrupted import leaves no half lab.
	tmpLab, err := os.MkdirTemp(dst.LabsDir, ".import-"+m.Lab+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmpLab)
	tmpImages := map[string]string{} // image folder -> where it is assembled
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read bundle: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("bundle entry %s is not a regular file", h.Name)
		}
		name := path.Clean(h.Name)
		if name != h.Name || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "../") || strings.Contains(name, "/../") {
			return nil, fmt.Errorf("bundle entry %q escapes its folder", h.Name)
		}
		var target string
		switch {
		case strings.HasPrefix(name, labPrefix):
			target = filepath.Join(tmpLab, filepath.FromSlash(strings.TrimPrefix(name, labPrefix)))
		case strings.HasPrefix(name, imagePrefix):
			// Image folders are named by digest: one already in the store
			// is kept; a new one is assembled aside and renamed when whole.
			dir, file, ok := strings.Cut(strings.TrimPrefix(name, imagePrefix), "/")
			if !ok || !strings.HasPrefix(dir, "sha256-") {
				return nil, fmt.Errorf("bundle entry %q is not in an image folder", h.Name)
			}
			if _, err := os.Stat(filepath.Join(dst.ImagesDir, dir)); err == nil {
				continue
			}
			if tmpImages[dir] == "" {
				if err := os.MkdirAll(dst.ImagesDir, 0o755); err != nil {
					return nil, err
				}
				t, err := os.MkdirTemp(dst.ImagesDir, ".import-"+dir+"-")
				if err != nil {
					return nil, err
				}
				defer os.RemoveAll(t)
				tmpImages[dir] = t
			}
			target = filepath.Join(tmpImages[dir], filepath.FromSlash(file))
		case strings.HasPrefix(name, cachePrefix):
			// Cache files are checked by their recorded digest when used.
			target = filepath.Join(dst.CacheDir, filepath.FromSlash(strings.TrimPrefix(name, cachePrefix)))
			if _, err := os.Stat(target); err == nil {
				continue
			}
		default:
			return nil, fmt.Errorf("bundle entry %q is in no known part", h.Name)
		}
		if err := writeFile(target, tr, os.FileMode(h.Mode).Perm()); err != nil {
			return nil, err
		}
	}
	for dir, t := range tmpImages {
		if err := os.Rename(t, filepath.Join(dst.ImagesDir, dir)); err != nil {
			return nil, err
		}
	}
	for _, img := range m.Images {
		if !validName(img.Name) || !validName(img.Digest) {
			return nil, fmt.Errorf("bundle manifest: image %q %q", img.Name, img.Digest)
		}
		tag := filepath.Join(dst.ImagesDir, "tags", img.Name)
		if _, err := os.Stat(tag); err == nil {
			continue // the machine's own image of that name stays
		}
		if err := writeFile(tag, strings.NewReader(img.Digest), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.Rename(tmpLab, labDir); err != nil {
		return nil, err
	}
	return &m, nil
}

// writeFile writes r to path so that the file is either whole or absent.
func writeFile(p string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := atomicfile.WriteFrom(p, r, mode); err != nil {
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}

func validName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, `/\`)
}
