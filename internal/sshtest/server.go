// Package sshtest runs an in-process SSH server on 127.0.0.1 for tests of
// code that reaches guests over SSH: exec and shell requests go to a Go
// handler, the sftp subsystem serves the real file system.
package sshtest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Handler runs one command (empty for a shell) and returns its exit status.
// ctx ends when the client sends a signal or goes away.
type Handler func(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) int

// Options configure a Server; the zero value is usable.
type Options struct {
	// Addr to listen on; default 127.0.0.1:0.
	Addr string
	// HostKey is the server's key; default a new ed25519 key.
	HostKey ssh.Signer
	// Authorized lists the client keys accepted; empty accepts any key.
	Authorized []ssh.PublicKey
	// Handler runs exec and shell requests; default Shell(t.TempDir()).
	Handler Handler
	// NoSFTP refuses the sftp subsystem, which otherwise serves this
	// machine's file system: for stand-in guests that must not write it.
	NoSFTP bool
	// MaxSessions refuses a connection's sessions beyond this many open at
	// once, as OpenSSH's sshd does (10 by default there); 0 is no limit.
	MaxSessions int
}

// Server is a running test server; it stops when the test ends.
type Server struct {
	Addr    string
	Port    int
	HostKey ssh.Signer

	opt   Options
	l     net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	reqs  []string
	conns []net.Conn
}

// NewServer starts a server on a free port that runs commands with h.
func NewServer(t testing.TB, h Handler) *Server {
	return Start(t, Options{Handler: h})
}

// Start starts a server with opt.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	if opt.HostKey == nil {
		opt.HostKey = NewSigner(t)
	}
	if opt.Handler == nil {
		opt.Handler = Shell(t.TempDir())
	}
	s, err := Listen(opt)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Listen starts a server with opt, whose HostKey and Handler must be set,
// for code that starts servers outside a test's goroutine; the caller
// closes it.
func Listen(opt Options) (*Server, error) {
	if opt.HostKey == nil || opt.Handler == nil {
		return nil, errors.New("sshtest: Listen needs a host key and a handler")
	}
	if opt.Addr == "" {
		opt.Addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", opt.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s := &Server{Addr: l.Addr().String(), Port: l.Addr().(*net.TCPAddr).Port, HostKey: opt.HostKey, opt: opt, l: l}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// NewSigner makes an ed25519 key.
func NewSigner(t testing.TB) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Shell returns a handler that runs commands with /bin/sh -c in dir.
func Shell(dir string) Handler {
	return func(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) int {
		c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
		c.Dir, c.Stdin, c.Stdout, c.Stderr = dir, stdin, stdout, stderr
		c.WaitDelay = time.Second
		err := c.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() < 0 {
				return 137
			}
			return exit.ExitCode()
		}
		if err != nil {
			return 127
		}
		return 0
	}
}

// Close stops the server and drops every connection.
func (s *Server) Close() {
	s.l.Close()
	s.mu.Lock()
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Requests lists the session requests seen so far, as "type detail".
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqs...)
}

func (s *Server) logf(format string, args ...any) {
	s.mu.Lock()
	s.reqs = append(s.reqs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

func (s *Server) config() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
		if len(s.opt.Authorized) == 0 {
			return nil, nil
		}
		for _, k := range s.opt.Authorized {
			if string(k.Marshal()) == string(key.Marshal()) {
				return nil, nil
			}
		}
		return nil, errors.New("key not authorized")
	}}
	cfg.AddHostKey(s.opt.HostKey)
	return cfg
}

func (s *Server) serve() {
	defer s.wg.Done()
	cfg := s.config()
	for {
		c, err := s.l.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(c, cfg)
		}()
	}
}

func (s *Server) handleConn(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	_, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	var mu sync.Mutex
	sessions := 0
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		mu.Lock()
		full := s.opt.MaxSessions > 0 && sessions >= s.opt.MaxSessions
		if !full {
			sessions++
		}
		mu.Unlock()
		if full {
			nc.Reject(ssh.Prohibited, "open failed")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(ch, creqs)
			mu.Lock()
			sessions--
			mu.Unlock()
		}()
	}
}

func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for req := range reqs {
		switch req.Type {
		case "exec", "shell":
			cmd := ""
			if req.Type == "exec" {
				cmd = payloadString(req.Payload)
			}
			s.logf("%s %s", req.Type, cmd)
			req.Reply(true, nil)
			go s.run(ctx, cancel, ch, cmd)
		case "subsystem":
			s.logf("subsystem %s", payloadString(req.Payload))
			if payloadString(req.Payload) != "sftp" || s.opt.NoSFTP {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go serveSFTP(ch)
		case "pty-req":
			term := payloadString(req.Payload)
			rest := req.Payload[4+len(term):]
			s.logf("pty-req %s %dx%d", term, binary.BigEndian.Uint32(rest), binary.BigEndian.Uint32(rest[4:]))
			req.Reply(true, nil)
		case "window-change":
			s.logf("window-change %dx%d", binary.BigEndian.Uint32(req.Payload), binary.BigEndian.Uint32(req.Payload[4:]))
		case "signal":
			s.logf("signal %s", payloadString(req.Payload))
			cancel()
		default:
			s.logf("%s", req.Type)
			if req.WantReply {
				req.Reply(req.Type == "env", nil)
			}
		}
	}
}

func (s *Server) run(ctx context.Context, cancel func(), ch ssh.Channel, cmd string) {
	defer cancel()
	code := s.opt.Handler(ctx, cmd, ch, ch, ch.Stderr())
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
	ch.Close()
}

func serveSFTP(ch ssh.Channel) {
	srv, err := sftp.NewServer(ch)
	if err != nil {
		ch.Close()
		return
	}
	srv.Serve()
	srv.Close()
}

func payloadString(p []byte) string {
	if len(p) < 4 {
		return ""
	}
	n := binary.BigEndian.Uint32(p)
	if int(n) > len(p)-4 {
		return ""
	}
	return string(p[4 : 4+n])
}
