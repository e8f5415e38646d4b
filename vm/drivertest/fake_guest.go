package drivertest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/internal/sshtest"
	"github.com/vlab-dev/vlab/vm"
)

// Command is one command a fake guest was asked to run.
type Command struct {
	VM  string // the domain that answered: a standby once it took over
	Cmd string
}

// GuestHandler runs cmd in fake guest vm and returns its exit status.
type GuestHandler func(ctx context.Context, vm, cmd string, stdin io.Reader, stdout, stderr io.Writer) int

// sshGuests are the SSH servers of a Fake's guests: one for each VM that
// answers on its port, on 127.0.0.1, with the guest's own host key.
type sshGuests struct {
	handler GuestHandler
	client  ssh.Signer // the key Exec logs in with
	syncMu  sync.Mutex // one sync at a time
	// The rest is guarded by the Fake's mu.
	srvs   map[string]*served
	failed map[string]error // why a VM's server could not listen
	closed bool
}

type served struct {
	v    *fakeVM
	port int
	key  ssh.Signer
	auth string // the vlab.key kernel argument: the only client key accepted, when set
	srv  *sshtest.Server
}

// authorizedOf returns the client key a guest booted with spec accepts,
// as real guests do: the base64 authorized_keys line of its vlab.key
// kernel argument. None accepts any key.
func authorizedOf(b64 string) []ssh.PublicKey {
	line, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || b64 == "" {
		return nil
	}
	k, _, _, _, err := ssh.ParseAuthorizedKey(line)
	if err != nil {
		return nil
	}
	return []ssh.PublicKey{k}
}

// vlabKey is the vlab.key kernel argument of spec.
func vlabKey(spec vm.Spec) string {
	for _, a := range spec.KernelArgs {
		if k, ok := strings.CutPrefix(a, "vlab.key="); ok {
			return k
		}
	}
	return ""
}

// NewFakeSSH returns a fake whose running VMs serve SSH on their spec's
// SSHPort on 127.0.0.1, each with its own host key, which is saved and
// restored with the guest: after a restore or a standby's take-over the
// VM's port answers with the key the guest had when it was saved. h runs
// the commands (nil: the suite's commands, in the fake guest); the servers
// accept any client key and refuse sftp. They stop when t ends.
func NewFakeSSH(t testing.TB, h GuestHandler) *Fake {
	f := NewFake()
	key, err := newHostKey()
	if err != nil {
		t.Fatal(err)
	}
	f.ssh = &sshGuests{handler: h, client: key, srvs: map[string]*served{}, failed: map[string]error{}}
	t.Cleanup(f.stopSSH)
	return f
}

func newHostKey() (ssh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return ssh.NewSignerFromKey(priv)
}

// Commands lists the commands guests were asked to run, in order.
func (f *Fake) Commands() []Command {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.cmds)
}

// sync starts and stops the guests' SSH servers to match the VMs: a server
// for each VM that serves, none for a port two VMs claim (a driver bug,
// which QEMU would refuse). Servers stop outside f.mu: their handlers
// take it.
func (f *Fake) sync() {
	g := f.ssh
	if g == nil {
		return
	}
	g.syncMu.Lock()
	defer g.syncMu.Unlock()
	f.mu.Lock()
	want := f.wantServed()
	var stop []*sshtest.Server
	for n, s := range g.srvs {
		if w, ok := want[n]; g.closed || !ok || *w != (served{v: s.v, port: s.port, key: s.key, auth: s.auth}) {
			stop = append(stop, s.srv)
			delete(g.srvs, n)
		}
	}
	f.mu.Unlock()
	for _, s := range stop {
		s.Close()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if g.closed {
		return
	}
	for n, w := range want {
		if g.srvs[n] != nil {
			continue
		}
		srv, err := sshtest.Listen(sshtest.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(w.port)),
			HostKey: w.key, Handler: f.serve(n), NoSFTP: true, Authorized: authorizedOf(w.auth)})
		if err != nil {
			g.failed[n] = err
			continue
		}
		delete(g.failed, n)
		w.srv = srv
		g.srvs[n] = w
	}
}

// bound fails like QEMU when VM name's SSH port could not be listened on
// (taken by another program): the VM is off and the error wraps
// vm.ErrPortInUse. Without SSH guests every port is free.
func (f *Fake) bound(name string) error {
	if f.ssh == nil {
		return nil
	}
	f.mu.Lock()
	err := f.ssh.failed[name]
	if v := f.vms[name]; err != nil && v != nil {
		v.state = vm.StateStopped
	}
	f.mu.Unlock()
	if err == nil {
		return nil
	}
	f.sync()
	return fmt.Errorf("vm %s: %w: %v", name, vm.ErrPortInUse, err)
}

// wantServed lists the servers the VMs call for; f.mu is held.
func (f *Fake) wantServed() map[string]*served {
	claims := map[int]int{}
	for _, v := range f.vms {
		if v.serves() {
			claims[v.spec.SSHPort]++
		}
	}
	want := map[string]*served{}
	for n, v := range f.vms {
		if v.serves() && claims[v.spec.SSHPort] == 1 {
			want[n] = &served{v: v, port: v.spec.SSHPort, key: v.guest.hostKey, auth: vlabKey(v.spec)}
		}
	}
	return want
}

func (f *Fake) stopSSH() {
	f.mu.Lock()
	f.ssh.closed = true
	f.mu.Unlock()
	f.sync()
}

// serve returns the SSH handler of VM name's server.
func (f *Fake) serve(name string) sshtest.Handler {
	return func(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) int {
		f.mu.Lock()
		f.cmds = append(f.cmds, Command{VM: name, Cmd: cmd})
		h := f.ssh.handler
		f.mu.Unlock()
		if h != nil {
			return h(ctx, name, cmd, stdin, stdout, stderr)
		}
		f.mu.Lock()
		out, err := "", fmt.Errorf("vm %s is gone", name)
		if v := f.vms[name]; v != nil {
			out, err = f.guestRun(v, cmd)
		}
		f.mu.Unlock()
		if cmd == cmdBreak {
			go f.sync() // not here: closing the server waits for this handler
		}
		io.WriteString(stdout, out)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 127
		}
		return 0
	}
}

// Exec runs one of the suite's commands in a fake guest: over SSH when the
// guests serve it, checking the serving guest's host key.
func (f *Fake) Exec(ctx context.Context, spec vm.Spec, cmd string) (string, error) {
	f.mu.Lock()
	v, err := f.serving(spec)
	if err != nil || f.ssh == nil {
		defer f.mu.Unlock()
		if err != nil {
			return "", err
		}
		f.cmds = append(f.cmds, Command{VM: v.spec.Name, Cmd: cmd})
		return f.guestRun(v, cmd)
	}
	key, client := v.guest.hostKey.PublicKey(), f.ssh.client
	f.mu.Unlock()
	return sshRun(ctx, spec.SSHPort, client, key, cmd)
}

// serving returns the VM that answers on spec's SSH port: a standby that
// took over, maybe; f.mu is held.
func (f *Fake) serving(spec vm.Spec) (*fakeVM, error) {
	v, err := f.get(spec.Name)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, o := range f.vms {
		if !o.noFwd && o.spec.SSHPort == spec.SSHPort && o.state == vm.StateRunning {
			v = o
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("fake: %d running VMs forward port %d", n, spec.SSHPort)
	}
	if !v.serves() {
		return nil, fmt.Errorf("ssh to 127.0.0.1:%d: connection refused", v.spec.SSHPort)
	}
	return v, nil
}

// guestRun runs one of the suite's commands in v's guest; f.mu is held.
func (f *Fake) guestRun(v *fakeVM, cmd string) (string, error) {
	switch {
	case cmd == cmdHello:
		return "hello\n", nil
	case cmd == cmdClock:
		return fmt.Sprintf("%d\n", time.Now().Add(v.guest.offset).Unix()), nil
	case cmd == cmdBreak:
		v.guest.broken = true
		return "", nil
	case strings.HasPrefix(cmd, "touch /root/vlab-mark-"):
		v.guest.files[strings.TrimPrefix(cmd, "touch ")] = true
		return "", nil
	case strings.HasPrefix(cmd, "test -e "):
		if v.guest.files[strings.Fields(cmd)[2]] {
			return "yes\n", nil
		}
		return "no\n", nil
	}
	return "", fmt.Errorf("fake guest: unknown command %q", cmd)
}

// sshRun runs cmd over SSH on 127.0.0.1:port, trusting only hostKey.
func sshRun(ctx context.Context, port int, client ssh.Signer, hostKey ssh.PublicKey, cmd string) (string, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("ssh to %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	cfg := &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(client)},
		HostKeyCallback: ssh.FixedHostKey(hostKey), Timeout: 10 * time.Second}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("ssh to %s: %w", addr, err)
	}
	cl := ssh.NewClient(c, chans, reqs)
	defer cl.Close()
	s, err := cl.NewSession()
	if err != nil {
		return "", fmt.Errorf("ssh to %s: %w", addr, err)
	}
	defer s.Close()
	var out, errb bytes.Buffer
	s.Stdout, s.Stderr = &out, &errb
	if err := s.Run(cmd); err != nil {
		return out.String(), fmt.Errorf("ssh to %s: %s: %w: %s", addr, cmd, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}
