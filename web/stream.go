package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// ServeStream serves h over one connection made of r and w, until the
// peer closes it or ctx ends: a trainee's page over their own SSH login,
// where sshd hands the forced command the session's stdin and stdout
// (docs/CLASSROOM.md). Keep-alive requests on the connection are served
// in turn; each new connection of the browser is a new session.
func ServeStream(ctx context.Context, h http.Handler, r io.Reader, w io.Writer) error {
	c := &streamConn{r: r, w: w, done: make(chan struct{})}
	l := &oneConn{c: c}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	defer stop()
	err := srv.Serve(l)
	if errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// oneConn is a listener that accepts c once, then waits for it to close.
type oneConn struct {
	c    *streamConn
	once sync.Once
}

func (l *oneConn) Accept() (net.Conn, error) {
	first := false
	l.once.Do(func() { first = true })
	if first {
		return l.c, nil
	}
	<-l.c.done
	return nil, net.ErrClosed
}

func (l *oneConn) Close() error   { l.c.Close(); return nil }
func (l *oneConn) Addr() net.Addr { return streamAddr{} }

// streamConn is a net.Conn over a reader and a writer; deadlines are not
// kept (sshd ends the session when the browser's side goes).
type streamConn struct {
	r      io.Reader
	w      io.Writer
	done   chan struct{}
	closed sync.Once
}

func (c *streamConn) Read(b []byte) (int, error)  { return c.r.Read(b) }
func (c *streamConn) Write(b []byte) (int, error) { return c.w.Write(b) }
func (c *streamConn) Close() error {
	c.closed.Do(func() { close(c.done) })
	return nil
}
func (c *streamConn) LocalAddr() net.Addr              { return streamAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return streamAddr{} }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

type streamAddr struct{}

func (streamAddr) Network() string { return "stdio" }
func (streamAddr) String() string  { return "stdio" }

// TokenFrom derives a page's form token from a secret only the server
// reads (an instance's private key): the same for every process that
// serves the page, as ServeStream's one process per connection needs, and
// not to be guessed by another web site.
func TokenFrom(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("vlab web form token"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
