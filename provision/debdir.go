package provision

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/vlab-dev/vlab/internal/confine"
	"github.com/vlab-dev/vlab/internal/debfile"
)

// debFile is what identifies one .deb of a directory cheaply.
type debFile struct {
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
}

// dirListing lists the .debs of dir by name, size and modification time;
// a change to any of them changes the closure key. A .deb that links
// outside dir is refused.
func dirListing(dir string) ([]debFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("package directory %s has no .deb files; put the pinned packages and their dependencies there", dir)
	}
	files := make([]debFile, len(paths))
	for i, p := range paths {
		real, err := confine.Resolve(dir, filepath.Base(p))
		if err != nil {
			return nil, fmt.Errorf("package directory %s: %w; keep the packages in it", dir, err)
		}
		st, err := os.Stat(real)
		if err != nil {
			return nil, fmt.Errorf("package directory: %w", err)
		}
		files[i] = debFile{Name: filepath.Base(p), Size: st.Size(), MTime: st.ModTime().UnixNano()}
	}
	return files, nil
}

// localRepo turns a directory of .debs into a flat apt repository under
// cacheDir (a Packages index and links to the files) and returns its path.
// Control fields come from `dpkg-deb -f`; no dpkg-dev tools are needed.
func localRepo(ctx context.Context, debDir, cacheDir string) (string, error) {
	abs, err := confine.Real(debDir)
	if err != nil {
		return "", fmt.Errorf("package directory: %w", err)
	}
	listing, err := dirListing(abs)
	if err != nil {
		return "", err
	}
	id, err := Key(abs, listing)
	if err != nil {
		return "", err
	}
	repo := filepath.Join(cacheDir, id[:16])
	if _, err := os.Stat(filepath.Join(repo, "Packages")); err == nil {
		return repo, nil
	}
	if err := os.MkdirAll(repo, 0o755); err != nil {
		return "", fmt.Errorf("package directory: %w", err)
	}
	var index bytes.Buffer
	for _, f := range listing {
		deb, err := confine.Resolve(abs, f.Name)
		if err != nil {
			return "", fmt.Errorf("package directory %s: %w", abs, err)
		}
		if err := addToRepo(ctx, &index, repo, deb); err != nil {
			return "", err
		}
	}
	return repo, writeFileAtomic(filepath.Join(repo, "Packages"), index.Bytes())
}

// addToRepo links deb into repo and appends its Packages stanza to index.
func addToRepo(ctx context.Context, index *bytes.Buffer, repo, deb string) error {
	control, err := hostRun(ctx, nil, nil, "dpkg-deb", "-f", deb)
	if err != nil {
		return fmt.Errorf("read %s: %w; is it a Debian package?", deb, err)
	}
	if _, err := fieldsOf(control, "Package", "Version", "Architecture"); err != nil {
		return fmt.Errorf("read %s: %w", deb, err)
	}
	link := filepath.Join(repo, filepath.Base(deb))
	os.Remove(link)
	if err := os.Symlink(deb, link); err != nil {
		return fmt.Errorf("package directory: %w", err)
	}
	st, err := os.Stat(deb)
	if err != nil {
		return fmt.Errorf("package directory: %w", err)
	}
	sum, err := fileSHA256(deb)
	if err != nil {
		return fmt.Errorf("package directory: %w", err)
	}
	index.Write(bytes.TrimRight(control, "\n"))
	fmt.Fprintf(index, "\nFilename: ./%s\nSize: %d\nSHA256: %s\n\n", filepath.Base(deb), st.Size(), sum)
	return nil
}

// fieldsOf returns the named fields of one control paragraph, all required.
func fieldsOf(control []byte, names ...string) ([]string, error) {
	st := debfile.Paragraphs(control)
	if len(st) == 0 {
		return nil, fmt.Errorf("no control fields")
	}
	vals := make([]string, len(names))
	var missing []string
	for i, n := range names {
		vals[i] = st[0][n]
		if vals[i] == "" {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("control fields %s missing", strings.Join(missing, ", "))
	}
	return vals, nil
}
