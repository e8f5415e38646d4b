package provision

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"golang.org/x/crypto/ssh"
)

// A shared connection is one SSH connection to a guest that other
// processes on the host use through a Unix socket. Under emulation the
// guest's half of a key exchange and login costs more than the command a
// trainee runs after a reset; a process that opens its sessions over a
// connection made earlier pays only for its session. The socket speaks
// SSH itself (a handshake between two host processes takes milliseconds),
// with the VM's own key as the host key and as the only client key, so
// that a process must hold the key to use it, as with the guest; the
// socket is also the owner's only (0600). Each session a client opens is
// opened on the guest connection, with its requests (pty, env, exec,
// shell, subsystem, window-change, signal) and its data passed through
// both ways, exit status included.

// Share serves s on a Unix socket at path until s's connection ends or ctx
// is done, then removes the socket. key is the VM's private key (OpenSSH
// PEM). A socket left at path by an earlier server is replaced.
func Share(ctx context.Context, s *SSH, path string, key []byte) error {
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return fmt.Errorf("shared connection: read key: %w", err)
	}
	want := signer.PublicKey().Marshal()
	cfg := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if !bytes.Equal(k.Marshal(), want) {
			return nil, errors.New("not the VM's key")
		}
		return nil, nil
	}}
	cfg.AddHostKey(signer)
	tmp := path + ".new"
	os.Remove(tmp)
	l, err := net.Listen("unix", tmp)
	if err != nil {
		return fmt.Errorf("shared connection: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	defer func() {
		l.Close()
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
			os.Remove(path)
		}
	}()
	ended := make(chan struct{})
	go func() {
		s.client.Wait()
		close(ended)
	}()
	go func() {
		select {
		case <-ended:
		case <-ctx.Done():
		}
		l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			select {
			case <-ended:
				return nil
			default:
			}
			return ctx.Err()
		}
		go serveShared(s.client, c, cfg)
	}
}

// serveShared passes one client's sessions on to the guest connection.
func serveShared(guest *ssh.Client, c net.Conn, cfg *ssh.ServerConfig) {
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		c.Close()
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.Prohibited, "only sessions are shared")
			continue
		}
		gch, greqs, err := guest.OpenChannel("session", nc.ExtraData())
		if err != nil {
			reason, msg := ssh.ConnectionFailed, err.Error()
			var oce *ssh.OpenChannelError
			if errors.As(err, &oce) {
				reason, msg = oce.Reason, oce.Message
			}
			nc.Reject(reason, msg)
			continue
		}
		cch, creqs, err := nc.Accept()
		if err != nil {
			gch.Close()
			continue
		}
		go passSession(cch, creqs, gch, greqs)
	}
}

// passSession joins the client's session channel to the guest's.
func passSession(cch ssh.Channel, creqs <-chan *ssh.Request, gch ssh.Channel, greqs <-chan *ssh.Request) {
	var out sync.WaitGroup
	out.Add(3)
	go func() { // the guest's output, then its exit status, then the end
		defer out.Done()
		forward(greqs, cch)
	}()
	go func() {
		defer out.Done()
		io.Copy(cch, gch)
	}()
	go func() {
		defer out.Done()
		io.Copy(cch.Stderr(), gch.Stderr())
	}()
	go func() { // the client's input and requests; its end ends the session
		io.Copy(gch, cch)
		gch.CloseWrite()
	}()
	// A request is answered before the session is closed: the guest may run
	// a command and end it before the answer to its exec is passed back,
	// and a client whose exec gets no answer fails with EOF.
	var answering sync.Mutex
	go func() {
		for r := range creqs {
			answering.Lock()
			ok, err := gch.SendRequest(r.Type, r.WantReply, r.Payload)
			if r.WantReply {
				r.Reply(ok && err == nil, nil)
			}
			answering.Unlock()
		}
		gch.Close()
	}()
	out.Wait()
	answering.Lock()
	cch.CloseWrite()
	cch.Close()
	answering.Unlock()
}

// forward passes requests on to ch and their answers back, until reqs ends.
func forward(reqs <-chan *ssh.Request, ch ssh.Channel) {
	for r := range reqs {
		ok, err := ch.SendRequest(r.Type, r.WantReply, r.Payload)
		if r.WantReply {
			r.Reply(ok && err == nil, nil)
		}
	}
}

// DialShared connects to the shared connection at path, as Dial connects to
// a guest; key is the VM's private key.
func DialShared(ctx context.Context, path string, key []byte) (*SSH, error) {
	signer, err := ssh.ParsePrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("read instance SSH key: %w", err)
	}
	known := string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(signer.PublicKey())))
	return Dial(ctx, SSHConfig{Addr: path, Key: key, HostKeys: &HostKeys{Known: known},
		Dial: func(ctx context.Context, _, addr string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", addr)
		}})
}
