package provision

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// serveOnce answers every connection on a loopback port with lines.
func serveLines(t *testing.T, lines string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(lines))
			time.Sleep(50 * time.Millisecond)
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func TestWaitBanner(t *testing.T) {
	ctx := context.Background()
	if err := WaitBanner(ctx, SSHConfig{Addr: serveLines(t, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")}); err != nil {
		t.Errorf("plain banner: %v", err)
	}
	if err := WaitBanner(ctx, SSHConfig{Addr: serveLines(t, "hello\r\nSSH-2.0-x\r\n")}); err != nil {
		t.Errorf("banner after a greeting line: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	defer cancel()
	err := WaitBanner(short, SSHConfig{Addr: serveLines(t, "HTTP/1.1 400 Bad Request\r\n")})
	if err == nil || !strings.Contains(err.Error(), "no SSH version line") {
		t.Errorf("not an SSH server: %v, want an error naming the missing version line", err)
	}
}

func TestWaitBannerNothingListening(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	// Long enough for a first attempt on a loaded machine: an attempt cut
	// short by the deadline says only "i/o timeout".
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := WaitBanner(ctx, SSHConfig{Addr: addr}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("closed port: %v, want connection refused", err)
	}
}

// noDeadlineConn is a connection without deadlines, like one tunnelled
// through an SSH client.
type noDeadlineConn struct{ net.Conn }

func (noDeadlineConn) SetDeadline(time.Time) error { return errors.New("deadline not supported") }

// TestBannerTimeoutThroughTunnel: a server that accepts and never speaks
// must not hang the wait when the connection has no deadlines.
func TestBannerTimeoutThroughTunnel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the test ends
		}
	}()
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		return noDeadlineConn{c}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = WaitBanner(ctx, SSHConfig{Addr: ln.Addr().String(), Dial: dial})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("WaitBanner on a silent tunnelled server: %v after %s, want an error within the context's 0.7 s", err, time.Since(start))
	}
	key, _, _ := NewKey("t")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel2()
	start = time.Now()
	if _, err := Dial(ctx2, SSHConfig{Addr: ln.Addr().String(), Key: key, HostKeys: &HostKeys{}, Dial: dial}); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("Dial to a silent tunnelled server: %v after %s", err, time.Since(start))
	}
}
