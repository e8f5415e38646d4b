package provision

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SSHConfig says how to reach one guest.
type SSHConfig struct {
	Addr     string // host:port, normally a 127.0.0.1 port forward
	User     string
	Key      []byte // private key, OpenSSH PEM
	HostKeys *HostKeys
	// Dial opens the TCP connection to Addr; nil dials directly. A guest
	// on a remote VM host is reached through that host.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c SSHConfig) dial(ctx context.Context) (net.Conn, error) {
	if c.Dial != nil {
		return c.Dial(ctx, "tcp", c.Addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", c.Addr)
}

// SSH is a Runner over one SSH connection to a guest. It is safe for
// concurrent use: each Run opens its own session.
type SSH struct {
	client *ssh.Client
	mu     sync.Mutex // guards sftp, started on first use, and direct
	sftp   *sftp.Client
	// fallback dials the guest itself, for a connection through a shared
	// login (DialShared) whose guest refuses another session: sshd allows
	// a connection ten at once (MaxSessions). direct is what it dialled.
	fallback func(ctx context.Context) (*SSH, error)
	direct   *SSH
}

// WithFallback has s open a session on a connection of its own, dialled
// once by dial, when the guest refuses one on s (a shared login's guest
// with as many sessions open as its sshd allows).
func (s *SSH) WithFallback(dial func(ctx context.Context) (*SSH, error)) *SSH {
	s.fallback = dial
	return s
}

// session opens a session on s, or on the fallback connection when the
// guest refuses it on s.
func (s *SSH) session(ctx context.Context) (*ssh.Session, error) {
	sess, err := s.client.NewSession()
	var refused *ssh.OpenChannelError
	if err == nil || s.fallback == nil || !errors.As(err, &refused) {
		return sess, err
	}
	d, derr := s.directConn(ctx)
	if derr != nil {
		return nil, fmt.Errorf("%w (and dialled directly: %v)", err, derr)
	}
	return d.session(ctx)
}

// directConn is the fallback connection, dialled on first need.
func (s *SSH) directConn(ctx context.Context) (*SSH, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.direct == nil {
		d, err := s.fallback(ctx)
		if err != nil {
			return nil, err
		}
		s.direct = d
	}
	return s.direct, nil
}

var _ Runner = (*SSH)(nil)

// Dial connects once; ctx bounds the TCP connect and the SSH handshake.
func Dial(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	if cfg.HostKeys == nil {
		return nil, errors.New("ssh: no host key check configured")
	}
	signer, err := ssh.ParsePrivateKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("read instance SSH key: %w", err)
	}
	user := cfg.User
	if user == "" {
		user = "root"
	}
	cc := &ssh.ClientConfig{
		User:              user,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback:   cfg.HostKeys.Callback,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		Timeout:           30 * time.Second, // a loaded TCG guest can be slow to answer
	}
	conn, err := cfg.dial(ctx)
	if err != nil {
		return nil, err
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(cc.Timeout)
	}
	clear := bound(conn, dl)
	c, chans, reqs, err := ssh.NewClientConn(conn, cfg.Addr, cc)
	if err != nil {
		conn.Close()
		return nil, err
	}
	clear()
	return &SSH{client: ssh.NewClient(c, chans, reqs)}, nil
}

// bound makes I/O on conn fail after dl, and returns what lifts that. A
// connection tunnelled through an SSH client has no deadlines: it is
// closed at dl instead, unless lifted before.
func bound(conn net.Conn, dl time.Time) (clear func()) {
	if conn.SetDeadline(dl) == nil {
		return func() { conn.SetDeadline(time.Time{}) }
	}
	t := time.AfterFunc(time.Until(dl), func() { conn.Close() })
	return func() { t.Stop() }
}

// WaitSSH dials until the guest answers or ctx ends, and returns the last
// error seen on timeout. A changed host key ends the wait at once.
func WaitSSH(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	var last error
	for {
		attempt, cancel := context.WithTimeout(ctx, 10*time.Second)
		s, err := Dial(attempt, cfg)
		cancel()
		if err == nil {
			return s, nil
		}
		if errors.Is(err, ErrHostKeyChanged) {
			return nil, err
		}
		// An attempt cut off by ctx ending says only "i/o timeout"; keep
		// the error before it, which says why the guest did not answer.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Close ends the connection.
func (s *SSH) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sftp != nil {
		s.sftp.Close()
	}
	if s.direct != nil {
		s.direct.Close()
	}
	return s.client.Close()
}

// Run runs cmd in the guest's shell and returns its exit status. err is set
// only when the command could not be run or was cut off (connection lost,
// ctx done); a non-zero exit is not an error.
func (s *SSH) Run(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	sess, err := s.session(ctx)
	if err != nil {
		return -1, fmt.Errorf("open SSH session: %w", err)
	}
	defer sess.Close()
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
	return wait(ctx, sess, func() error { return sess.Run(cmd) })
}

// wait runs fn (which runs a session) and turns its result into an exit
// status; when ctx ends first the remote command is killed.
func wait(ctx context.Context, sess *ssh.Session, fn func() error) (int, error) {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		var exit *ssh.ExitError
		if errors.As(err, &exit) {
			return exit.ExitStatus(), nil
		}
		var missing *ssh.ExitMissingError
		if errors.As(err, &missing) {
			return -1, fmt.Errorf("command ended without an exit status (connection lost or guest rebooted)")
		}
		if err != nil {
			return -1, err
		}
		return 0, nil
	case <-ctx.Done():
		sess.Signal(ssh.SIGKILL)
		sess.Close()
		return -1, ctx.Err()
	}
}

func (s *SSH) sftpClient() (*sftp.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sftp != nil {
		return s.sftp, nil
	}
	c, err := sftp.NewClient(s.client)
	var refused *ssh.OpenChannelError
	if err != nil && s.fallback != nil && errors.As(err, &refused) {
		if s.direct == nil {
			if s.direct, err = s.fallback(context.Background()); err != nil {
				return nil, fmt.Errorf("start SFTP: %w", err)
			}
		}
		c, err = sftp.NewClient(s.direct.client)
	}
	if err != nil {
		return nil, fmt.Errorf("start SFTP: %w", err)
	}
	s.sftp = c
	return c, nil
}

// Upload copies a host file or directory tree to dst in the guest, keeping
// file modes and creating dst's parent folders.
func (s *SSH) Upload(ctx context.Context, src, dst string) error {
	c, err := s.sftpClient()
	if err != nil {
		return err
	}
	if err := c.MkdirAll(path.Dir(dst)); err != nil {
		return fmt.Errorf("mkdir %s in guest: %w", path.Dir(dst), err)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(src, p)
		target := path.Join(dst, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if err := c.MkdirAll(target); err != nil {
				return fmt.Errorf("mkdir %s in guest: %w", target, err)
			}
			return c.Chmod(target, info.Mode().Perm())
		}
		return s.uploadFile(c, p, target, info.Mode().Perm())
	})
}

func (s *SSH) uploadFile(c *sftp.Client, src, dst string, mode fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := c.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("upload %s to guest %s: %w", src, dst, err)
	}
	if _, err := out.ReadFrom(in); err != nil {
		out.Close()
		return fmt.Errorf("upload %s to guest %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return c.Chmod(dst, mode)
}

// WriteFile writes data to path in the guest with mode, creating parents.
func (s *SSH) WriteFile(ctx context.Context, p string, data []byte, mode uint32) error {
	c, err := s.sftpClient()
	if err != nil {
		return err
	}
	if err := c.MkdirAll(path.Dir(p)); err != nil {
		return fmt.Errorf("mkdir %s in guest: %w", path.Dir(p), err)
	}
	f, err := c.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC)
	if err != nil {
		return fmt.Errorf("write %s in guest: %w", p, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s in guest: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return c.Chmod(p, fs.FileMode(mode))
}
