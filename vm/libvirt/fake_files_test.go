package libvirt

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// fakeFiles shows the fake's volumes as a remote host's SFTP would: a file
// per volume at its path, so that a test can play the golden store on a
// remote host (libvirtd copies, vlab writes headers) against the fake.
type fakeFiles struct {
	f       *fakeLibvirt
	touched map[string]time.Time
}

func newFakeFiles(f *fakeLibvirt) *fakeFiles {
	return &fakeFiles{f: f, touched: map[string]time.Time{}}
}

func (x *fakeFiles) named(p string) (string, *fakeVol) {
	for n, v := range x.f.vols {
		if v.path == p {
			return n, v
		}
	}
	return "", nil
}

func notExist(op, p string) error { return &fs.PathError{Op: op, Path: p, Err: fs.ErrNotExist} }

func (x *fakeFiles) Open(p string) (poolFile, error) { return x.OpenFile(p, os.O_RDONLY) }

func (x *fakeFiles) OpenFile(p string, flag int) (poolFile, error) {
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	_, v := x.named(p)
	switch {
	case v == nil && flag&os.O_CREATE == 0:
		return nil, notExist("open", p)
	case v != nil && flag&os.O_EXCL != 0:
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrExist}
	case v == nil:
		v = &fakeVol{path: p, format: "raw"}
		x.f.vols[filepath.Base(p)] = v
	}
	if flag&os.O_TRUNC != 0 {
		v.data = nil
	}
	return &fakeFile{x: x, v: v}, nil
}

func (x *fakeFiles) Rename(o, n string) error {
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	on, v := x.named(o)
	if v == nil {
		return notExist("rename", o)
	}
	if nn, _ := x.named(n); nn != "" {
		delete(x.f.vols, nn)
	}
	delete(x.f.vols, on)
	v.path = n
	x.f.vols[filepath.Base(n)] = v
	return nil
}

func (x *fakeFiles) Remove(p string) error {
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	n, _ := x.named(p)
	if n == "" {
		return notExist("remove", p)
	}
	delete(x.f.vols, n)
	return nil
}

func (x *fakeFiles) Stat(p string) (os.FileInfo, error) {
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	_, v := x.named(p)
	if v == nil {
		return nil, notExist("stat", p)
	}
	return fakeInfo{name: filepath.Base(p), size: int64(len(v.data)), mod: x.touched[p]}, nil
}

func (x *fakeFiles) Touch(p string) error {
	if _, err := x.Stat(p); err != nil {
		return err
	}
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	x.touched[p] = time.Now()
	return nil
}

func (x *fakeFiles) Glob(pattern string) ([]string, error) {
	x.f.mu.Lock()
	defer x.f.mu.Unlock()
	var out []string
	for _, v := range x.f.vols {
		if ok, err := filepath.Match(pattern, v.path); err != nil {
			return nil, err
		} else if ok {
			out = append(out, v.path)
		}
	}
	sort.Strings(out)
	return out, nil
}

type fakeFile struct {
	x   *fakeFiles
	v   *fakeVol
	off int64
}

func (f *fakeFile) ReadAt(b []byte, off int64) (int, error) {
	f.x.f.mu.Lock()
	defer f.x.f.mu.Unlock()
	if off >= int64(len(f.v.data)) {
		return 0, io.EOF
	}
	n := copy(b, f.v.data[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

func (f *fakeFile) WriteAt(b []byte, off int64) (int, error) {
	f.x.f.mu.Lock()
	defer f.x.f.mu.Unlock()
	if end := int(off) + len(b); end > len(f.v.data) {
		f.v.data = append(f.v.data, make([]byte, end-len(f.v.data))...)
	}
	return copy(f.v.data[off:], b), nil
}

func (f *fakeFile) Read(b []byte) (int, error) {
	n, err := f.ReadAt(b, f.off)
	f.off += int64(n)
	if n > 0 && err == io.EOF {
		err = nil
	}
	return n, err
}

func (f *fakeFile) Write(b []byte) (int, error) {
	n, err := f.WriteAt(b, f.off)
	f.off += int64(n)
	return n, err
}

func (f *fakeFile) Close() error { return nil }

type fakeInfo struct {
	name string
	size int64
	mod  time.Time
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return i.size }
func (i fakeInfo) Mode() fs.FileMode  { return 0o600 }
func (i fakeInfo) ModTime() time.Time { return i.mod }
func (i fakeInfo) IsDir() bool        { return false }
func (i fakeInfo) Sys() any           { return nil }
