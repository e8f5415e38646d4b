package libvirt

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// poolFiles reaches the files of the pool's folder on the libvirt host
// without libvirtd: this machine's file system, or a remote host's over
// SFTP on the SSH connection that carries libvirt's RPC. Save-file headers
// (the golden store, standbys) and console tails are read and written
// through it; go-libvirt's streams can hang the connection (volio.go). A
// Driver has none where neither reaches the pool (a member of the libvirt
// group here; a remote login that may not write the pool's folder, or a
// host without SFTP): then it goes through libvirtd's streams.
type poolFiles interface {
	Open(path string) (poolFile, error)
	// OpenFile opens path with os.OpenFile's flags (O_RDONLY, O_WRONLY,
	// O_RDWR, O_CREATE, O_EXCL, O_TRUNC); a file it creates is 0600.
	OpenFile(path string, flag int) (poolFile, error)
	// Rename moves old to new, replacing new.
	Rename(old, new string) error
	Remove(path string) error
	Stat(path string) (os.FileInfo, error)
	// Touch sets path's modification time to now.
	Touch(path string) error
	Glob(pattern string) ([]string, error)
}

// poolFile is an open file of the pool's folder.
type poolFile interface {
	io.Reader
	io.Writer
	io.ReaderAt
	io.WriterAt
	io.Closer
}

// localFiles are this machine's.
type localFiles struct{}

func (localFiles) Open(p string) (poolFile, error) { return os.Open(p) }
func (localFiles) OpenFile(p string, flag int) (poolFile, error) {
	return os.OpenFile(p, flag, 0o600)
}
func (localFiles) Rename(o, n string) error              { return os.Rename(o, n) }
func (localFiles) Remove(p string) error                 { return os.Remove(p) }
func (localFiles) Stat(p string) (os.FileInfo, error)    { return os.Stat(p) }
func (localFiles) Glob(pattern string) ([]string, error) { return filepath.Glob(pattern) }
func (localFiles) Touch(p string) error {
	now := time.Now()
	return os.Chtimes(p, now, now)
}

// sftpFiles are a remote host's, through its SSH server's SFTP subsystem.
type sftpFiles struct{ c *sftp.Client }

func (s sftpFiles) Open(p string) (poolFile, error) { return s.c.Open(p) }
func (s sftpFiles) OpenFile(p string, flag int) (poolFile, error) {
	f, err := s.c.OpenFile(p, flag)
	if err == nil && flag&os.O_CREATE != 0 {
		f.Chmod(0o600)
	}
	return f, err
}
func (s sftpFiles) Rename(o, n string) error              { return s.c.PosixRename(o, n) }
func (s sftpFiles) Remove(p string) error                 { return s.c.Remove(p) }
func (s sftpFiles) Stat(p string) (os.FileInfo, error)    { return s.c.Stat(p) }
func (s sftpFiles) Glob(pattern string) ([]string, error) { return s.c.Glob(pattern) }
func (s sftpFiles) Touch(p string) error {
	now := time.Now()
	return s.c.Chtimes(p, now, now)
}

// remoteFiles opens SFTP on the connection to a remote host and keeps it
// when the login may write the pool's folder dir (a file made and removed
// there). It returns nil, and why, when not.
func remoteFiles(c *ssh.Client, dir string) (*sftp.Client, error) {
	s, err := sftp.NewClient(c)
	if err != nil {
		return nil, fmt.Errorf("no SFTP on the host: %w", err)
	}
	if err := writable(sftpFiles{s}, dir); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// writable tells whether a file can be made and removed in folder dir.
func writable(fs poolFiles, dir string) error {
	probe := filepath.Join(dir, fmt.Sprintf(".vlab-probe-%d-%d", os.Getpid(), time.Now().UnixNano()))
	f, err := fs.OpenFile(probe, os.O_CREATE|os.O_EXCL|os.O_WRONLY)
	if err == nil {
		f.Close()
		err = fs.Remove(probe)
	}
	if err != nil {
		return fmt.Errorf("the login may not write %s: %w", dir, err)
	}
	return nil
}
