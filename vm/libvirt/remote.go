package libvirt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/vlab-dev/vlab/vm"
)

// defaultSocket is libvirtd's read-write socket on a Debian host.
const defaultSocket = "/var/run/libvirt/libvirt-sock"

// target is where a libvirt URI points.
type target struct {
	// ssh is "host:port" for qemu+ssh://, empty for this machine.
	ssh, user string
	// socket is libvirtd's socket on the libvirt host; empty for the default.
	socket     string
	keyfile    string
	knownHosts string
}

// parseURI accepts qemu:///system and qemu+ssh://[user@]host[:port]/system,
// with libvirt's socket, keyfile and known_hosts parameters.
func parseURI(raw string) (target, error) {
	bad := func(why string) (target, error) {
		return target{}, fmt.Errorf("libvirt URI %q: %s; use qemu:///system or qemu+ssh://[user@]host[:port]/system", raw, why)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad(err.Error())
	}
	if u.Path != "/system" {
		return bad("vlab needs the system instance (/system)")
	}
	var t target
	q := u.Query()
	for k := range q {
		switch k {
		case "socket":
			t.socket = q.Get(k)
		case "keyfile":
			t.keyfile = q.Get(k)
		case "known_hosts":
			t.knownHosts = q.Get(k)
		default:
			return bad(fmt.Sprintf("unknown parameter %q (known: socket, keyfile, known_hosts)", k))
		}
	}
	switch u.Scheme {
	case "qemu":
		if u.Host != "" && u.Host != "localhost" {
			return bad("a remote host needs qemu+ssh://")
		}
		if t.keyfile != "" || t.knownHosts != "" {
			return bad("keyfile and known_hosts are for qemu+ssh://")
		}
		return t, nil
	case "qemu+ssh":
		if u.Hostname() == "" {
			return bad("no host")
		}
		port := u.Port()
		if port == "" {
			port = "22"
		}
		t.ssh = net.JoinHostPort(u.Hostname(), port)
		t.user = u.User.Username()
		if t.user == "" {
			cur, err := user.Current()
			if err != nil {
				return bad("no user, and the current one is unknown")
			}
			t.user = cur.Username
		}
		return t, nil
	}
	return bad(fmt.Sprintf("transport %q is not supported", u.Scheme))
}

// dialHost opens the SSH connection to a remote libvirt host. The host key
// must be in known_hosts: vlab never trusts a host it has not seen.
func dialHost(ctx context.Context, t target) (*ssh.Client, error) {
	home, _ := os.UserHomeDir()
	auth, closeAgent, err := sshAuth(t, home)
	if err != nil {
		return nil, err
	}
	defer closeAgent()
	kh := t.knownHosts
	if kh == "" {
		kh = filepath.Join(home, ".ssh", "known_hosts")
	}
	check, err := knownhosts.New(kh)
	if err != nil {
		return nil, fmt.Errorf("libvirt host %s: known hosts file: %w; connect once with ssh to record the host's key", t.ssh, err)
	}
	// Prefer the key types OpenSSH prefers: x/crypto's default order asks
	// for ECDSA and RSA first, and a known_hosts that holds only the host's
	// ed25519 key would then read as a changed key.
	cfg := &ssh.ClientConfig{User: t.user, Auth: auth, HostKeyCallback: check, Timeout: 15 * time.Second,
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384,
			ssh.KeyAlgoECDSA521, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}}
	var d net.Dialer
	dctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", t.ssh)
	if err != nil {
		return nil, fmt.Errorf("libvirt host %s: %w", t.ssh, err)
	}
	conn.SetDeadline(time.Now().Add(cfg.Timeout))
	c, chans, reqs, err := ssh.NewClientConn(conn, t.ssh, cfg)
	if err != nil {
		conn.Close()
		var ke *knownhosts.KeyError
		if errors.As(err, &ke) {
			if len(ke.Want) == 0 {
				return nil, fmt.Errorf("libvirt host %s is not in %s: connect once with `ssh -p %s %s@%s` and check its key", t.ssh, kh, port(t.ssh), t.user, host(t.ssh))
			}
			return nil, fmt.Errorf("libvirt host %s: its key does not match the one in %s; someone may be in the middle, or the host was reinstalled", t.ssh, kh)
		}
		return nil, fmt.Errorf("libvirt host %s: ssh as %s: %w", t.ssh, t.user, err)
	}
	conn.SetDeadline(time.Time{})
	return ssh.NewClient(c, chans, reqs), nil
}

func host(hp string) string { h, _, _ := net.SplitHostPort(hp); return h }
func port(hp string) string { _, p, _ := net.SplitHostPort(hp); return p }

// sshAuth offers the URI's keyfile, else the agent's keys and the user's
// unencrypted default keys.
func sshAuth(t target, home string) ([]ssh.AuthMethod, func(), error) {
	var signers []ssh.Signer
	closeAgent := func() {}
	files := []string{t.keyfile}
	if t.keyfile == "" {
		files = nil
		if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
			if c, err := net.Dial("unix", sock); err == nil {
				if s, err := agent.NewClient(c).Signers(); err == nil {
					signers = append(signers, s...)
				}
				closeAgent = func() { c.Close() }
			}
		}
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			files = append(files, filepath.Join(home, ".ssh", n))
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			if t.keyfile != "" {
				return nil, closeAgent, fmt.Errorf("libvirt URI keyfile: %w", err)
			}
			continue
		}
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			if t.keyfile != "" {
				return nil, closeAgent, fmt.Errorf("libvirt URI keyfile %s: %w (vlab reads unencrypted keys; load others into ssh-agent)", f, err)
			}
			continue
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		return nil, closeAgent, fmt.Errorf("no SSH key for the libvirt host %s: start ssh-agent with your key, or add ?keyfile=PATH to the URI", t.ssh)
	}
	return []ssh.AuthMethod{ssh.PublicKeys(signers...)}, closeAgent, nil
}

// sshSocket is a go-libvirt dialer reaching libvirtd's unix socket on the
// far side of an SSH connection (OpenSSH's direct-streamlocal).
type sshSocket struct {
	c    *ssh.Client
	path string
}

func (s sshSocket) Dial() (net.Conn, error) {
	conn, err := s.c.Dial("unix", s.path)
	if err != nil {
		return nil, fmt.Errorf("libvirtd socket %s on the libvirt host: %w (the host's sshd must allow stream forwarding)", s.path, err)
	}
	return conn, nil
}

// DialHost connects to addr as the libvirt host sees it: guests' SSH port
// forwards listen on that host's loopback. For a local libvirtd it is a
// plain dial.
func (d *Driver) DialHost(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.ssh == nil {
		var nd net.Dialer
		return nd.DialContext(ctx, network, addr)
	}
	return d.ssh.DialContext(ctx, network, addr)
}

// Remote tells whether libvirtd runs on another machine.
func (d *Driver) Remote() bool { return d.ssh != nil }

// socketPath is libvirtd's socket on the remote host.
func (t target) socketPath() string {
	if t.socket == "" {
		return defaultSocket
	}
	return t.socket
}

// HostAccel tells whether the libvirt host offers KVM, from libvirt's
// domain capabilities. It cannot see a KVM that is present but hangs
// guests (HOST.md): VLAB_ACCEL=tcg overrides it there.
func (d *Driver) HostAccel(ctx context.Context) (vm.Accel, string) {
	_, err := d.l.ConnectGetDomainCapabilities(nil, golibvirt.OptString{"x86_64"}, nil, golibvirt.OptString{"kvm"}, 0)
	if err != nil {
		return vm.AccelTCG, "the libvirt host offers no KVM: " + translate(err).Error()
	}
	return vm.AccelKVM, "the libvirt host offers KVM"
}
