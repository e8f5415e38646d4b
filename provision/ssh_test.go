package provision_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/internal/sshtest"
	"github.com/vlab-dev/vlab/provision"
)

// clientKey makes an instance key and returns it with its public half.
func clientKey(t *testing.T) ([]byte, ssh.PublicKey) {
	t.Helper()
	priv, _, err := provision.NewKey("test")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return priv, signer.PublicKey()
}

func dial(t *testing.T, addr string, key []byte, hk *provision.HostKeys) *provision.SSH {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := provision.Dial(ctx, provision.SSHConfig{Addr: addr, Key: key, HostKeys: hk})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// shellServer starts a server running commands with /bin/sh in a temp dir
// and returns a connection to it.
func shellServer(t *testing.T) (*sshtest.Server, *provision.SSH) {
	key, _ := clientKey(t)
	srv := sshtest.NewServer(t, sshtest.Shell(t.TempDir()))
	return srv, dial(t, srv.Addr, key, &provision.HostKeys{})
}

func authorized(k ssh.PublicKey) string {
	return string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(k)))
}

func TestRunExitStatusAndStreams(t *testing.T) {
	_, s := shellServer(t)
	for _, tt := range []struct {
		cmd, stdin, stdout, stderr string
		exit                       int
	}{
		{"true", "", "", "", 0},
		{"exit 3", "", "", "", 3},
		{"echo out; echo err >&2; exit 42", "", "out\n", "err\n", 42},
		{"tr a-z A-Z", "hello\n", "HELLO\n", "", 0},
		{"no-such-command-xyz", "", "", "not found", 127},
	} {
		var out, errb bytes.Buffer
		code, err := s.Run(context.Background(), tt.cmd, strings.NewReader(tt.stdin), &out, &errb)
		if err != nil {
			t.Fatalf("%q: %v", tt.cmd, err)
		}
		if code != tt.exit || out.String() != tt.stdout || !strings.Contains(errb.String(), tt.stderr) {
			t.Errorf("%q: exit %d stdout %q stderr %q; want %d %q %q", tt.cmd, code, out.String(), errb.String(), tt.exit, tt.stdout, tt.stderr)
		}
	}
}

func TestRunNilStreams(t *testing.T) {
	_, s := shellServer(t)
	if code, err := s.Run(context.Background(), "echo ignored; exit 7", nil, nil, nil); code != 7 || err != nil {
		t.Fatalf("Run = %d, %v; want 7, nil", code, err)
	}
}

func TestRunCancelKillsCommand(t *testing.T) {
	srv, s := shellServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	code, err := s.Run(ctx, "sleep 30", nil, nil, nil)
	if !errors.Is(err, context.Canceled) || code != -1 {
		t.Fatalf("Run = %d, %v; want -1, context.Canceled", code, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Run returned after %s", d)
	}
	waitFor(t, func() bool { return contains(srv.Requests(), "signal KILL") })
	// The connection is still good for the next command.
	if code, err := s.Run(context.Background(), "exit 4", nil, nil, nil); code != 4 || err != nil {
		t.Fatalf("Run after cancel = %d, %v", code, err)
	}
}

func TestHostKeyRecordedOnFirstContact(t *testing.T) {
	key, _ := clientKey(t)
	srv := sshtest.NewServer(t, sshtest.Shell(t.TempDir()))
	var recorded []string
	hk := &provision.HostKeys{Record: func(k string) error { recorded = append(recorded, k); return nil }}
	dial(t, srv.Addr, key, hk)
	dial(t, srv.Addr, key, hk)
	want := authorized(srv.HostKey.PublicKey())
	if len(recorded) != 1 || recorded[0] != want || hk.Known != want {
		t.Fatalf("recorded %q, Known %q; want one record of %q", recorded, hk.Known, want)
	}
}

func TestHostKeyRecordFailureRefuses(t *testing.T) {
	key, _ := clientKey(t)
	srv := sshtest.NewServer(t, sshtest.Shell(t.TempDir()))
	hk := &provision.HostKeys{Record: func(string) error { return errors.New("disk full") }}
	_, err := provision.Dial(context.Background(), provision.SSHConfig{Addr: srv.Addr, Key: key, HostKeys: hk})
	if err == nil || !strings.Contains(err.Error(), "disk full") || hk.Known != "" {
		t.Fatalf("Dial = %v, Known %q; want the record error and nothing known", err, hk.Known)
	}
}

func TestHostKeyChangedRefused(t *testing.T) {
	key, _ := clientKey(t)
	srv := sshtest.NewServer(t, sshtest.Shell(t.TempDir()))
	other := authorized(sshtest.NewSigner(t).PublicKey())
	cfg := provision.SSHConfig{Addr: srv.Addr, Key: key, HostKeys: &provision.HostKeys{Known: other,
		Record: func(string) error { t.Error("Record called for a known guest"); return nil }}}
	_, err := provision.Dial(context.Background(), cfg)
	if !errors.Is(err, provision.ErrHostKeyChanged) {
		t.Fatalf("Dial = %v; want ErrHostKeyChanged", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	_, err = provision.WaitSSH(ctx, cfg)
	if !errors.Is(err, provision.ErrHostKeyChanged) {
		t.Fatalf("WaitSSH = %v; want ErrHostKeyChanged", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("WaitSSH kept trying for %s after a changed host key", d)
	}
}

func TestWrongClientKeyRefused(t *testing.T) {
	key, _ := clientKey(t)
	_, allowed := clientKey(t)
	srv := sshtest.Start(t, sshtest.Options{Authorized: []ssh.PublicKey{allowed}})
	_, err := provision.Dial(context.Background(), provision.SSHConfig{Addr: srv.Addr, Key: key, HostKeys: &provision.HostKeys{}})
	if err == nil || errors.Is(err, provision.ErrHostKeyChanged) || !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("Dial with an unauthorized key = %v", err)
	}
}

func TestWaitSSHRetriesUntilServerAppears(t *testing.T) {
	key, _ := clientKey(t)
	addr := freeAddr(t)
	started := make(chan *sshtest.Server, 1)
	time.AfterFunc(700*time.Millisecond, func() { started <- sshtest.Start(t, sshtest.Options{Addr: addr}) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := provision.WaitSSH(ctx, provision.SSHConfig{Addr: addr, Key: key, HostKeys: &provision.HostKeys{}})
	if err != nil {
		t.Fatalf("WaitSSH: %v", err)
	}
	defer s.Close()
	<-started
	if code, err := s.Run(ctx, "exit 9", nil, nil, nil); code != 9 || err != nil {
		t.Fatalf("Run = %d, %v", code, err)
	}
}

func TestWaitSSHGivesUpAtDeadline(t *testing.T) {
	key, _ := clientKey(t)
	ctx, cancel := context.WithTimeout(context.Background(), 800*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := provision.WaitSSH(ctx, provision.SSHConfig{Addr: freeAddr(t), Key: key, HostKeys: &provision.HostKeys{}})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("WaitSSH = %v; want the deadline and the last error", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("WaitSSH gave up after %s", d)
	}
}

func TestDialBadKey(t *testing.T) {
	_, err := provision.Dial(context.Background(), provision.SSHConfig{Addr: freeAddr(t), Key: []byte("not a key"), HostKeys: &provision.HostKeys{}})
	if err == nil || !strings.Contains(err.Error(), "SSH key") {
		t.Fatalf("Dial = %v", err)
	}
}

// freeAddr is a 127.0.0.1 address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUploadTreeKeepsModes(t *testing.T) {
	_, s := shellServer(t)
	src := filepath.Join(t.TempDir(), "tree")
	files := map[string]os.FileMode{"run.sh": 0o755, "secret": 0o600, "sub/deep/conf": 0o644}
	for name, mode := range files {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("content of "+name), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, mode)
	}
	os.Chmod(filepath.Join(src, "sub"), 0o700)
	dst := filepath.Join(t.TempDir(), "guest", "etc", "app") // parents do not exist
	if err := s.Upload(context.Background(), src, dst); err != nil {
		t.Fatal(err)
	}
	for name, mode := range files {
		p := filepath.Join(dst, name)
		b, err := os.ReadFile(p)
		if err != nil || string(b) != "content of "+name {
			t.Errorf("%s: %q, %v", name, b, err)
			continue
		}
		if st, _ := os.Stat(p); st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", name, st.Mode().Perm(), mode)
		}
	}
	if st, err := os.Stat(filepath.Join(dst, "sub")); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("sub: %v %v, want a 0700 directory", st, err)
	}
	// A second upload replaces files, a single file uploads to its path.
	os.WriteFile(filepath.Join(src, "secret"), []byte("new"), 0o600)
	one := filepath.Join(dst, "other", "secret")
	for _, u := range [][2]string{{src, dst}, {filepath.Join(src, "secret"), one}} {
		if err := s.Upload(context.Background(), u[0], u[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{filepath.Join(dst, "secret"), one} {
		if b, _ := os.ReadFile(p); string(b) != "new" {
			t.Errorf("%s: %q, want new", p, b)
		}
	}
}

func TestWriteFile(t *testing.T) {
	_, s := shellServer(t)
	p := filepath.Join(t.TempDir(), "guest", "etc", "motd")
	for _, data := range []string{"a longer first version\n", "short\n"} {
		if err := s.WriteFile(context.Background(), p, []byte(data), 0o640); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		if st, err := os.Stat(p); err != nil || string(b) != data || st.Mode().Perm() != 0o640 {
			t.Fatalf("after WriteFile(%q): %q, %v", data, b, st.Mode())
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	_, s := shellServer(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := filepath.Join(dir, "f", string(rune('a'+i)))
			if err := s.WriteFile(context.Background(), p, []byte("x"), 0o644); err != nil {
				t.Error(err)
			}
			if code, err := s.Run(context.Background(), "test -e "+p, nil, nil, nil); code != 0 || err != nil {
				t.Errorf("Run = %d, %v", code, err)
			}
		}()
	}
	wg.Wait()
}

func TestNewKeyRoundTrip(t *testing.T) {
	priv, line, err := provision.NewKey("vlab-alice")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, comment, _, rest, err := ssh.ParseAuthorizedKey(line)
	if err != nil || comment != "vlab-alice" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("authorized line %q: comment %q, %v", line, comment, err)
	}
	if authorized(pub) != authorized(signer.PublicKey()) || pub.Type() != ssh.KeyAlgoED25519 {
		t.Fatalf("public key %s does not match the private key", authorized(pub))
	}
	b64, err := provision.AuthorizedBase64(priv)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b64, " \n") {
		t.Fatalf("AuthorizedBase64 %q does not fit a kernel command line", b64)
	}
	dec, err := base64Decode(b64)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _, _, err := ssh.ParseAuthorizedKey(dec); err != nil || authorized(got) != authorized(pub) {
		t.Fatalf("AuthorizedBase64 decodes to %q, %v", dec, err)
	}
	if _, err := provision.AuthorizedBase64([]byte("junk")); err == nil {
		t.Fatal("AuthorizedBase64 of junk succeeded")
	}
	other, _, _ := provision.NewKey("vlab-alice")
	if bytes.Equal(other, priv) {
		t.Fatal("NewKey returned the same key twice")
	}
}

func TestInteractive(t *testing.T) {
	key, _ := clientKey(t)
	var got []string
	var mu sync.Mutex
	srv := sshtest.NewServer(t, func(ctx context.Context, cmd string, _ io.Reader, stdout, _ io.Writer) int {
		mu.Lock()
		got = append(got, cmd)
		mu.Unlock()
		io.WriteString(stdout, "prompt$ ")
		time.Sleep(300 * time.Millisecond)
		return 5
	})
	s := dial(t, srv.Addr, key, &provision.HostKeys{})
	resize := make(chan [2]int, 1)
	resize <- [2]int{120, 40}
	var out bytes.Buffer
	code, err := s.Interactive(context.Background(), "", provision.Terminal{Width: 80, Height: 24, Resize: resize}, strings.NewReader(""), &out, io.Discard)
	if code != 5 || err != nil || out.String() != "prompt$ " {
		t.Fatalf("Interactive = %d, %v, %q", code, err, out.String())
	}
	reqs := srv.Requests()
	for _, want := range []string{"pty-req xterm 80x24", "window-change 120x40", "shell "} {
		if !contains(reqs, want) {
			t.Errorf("server saw %q, want %q among them", reqs, want)
		}
	}
	if code, err := s.Interactive(context.Background(), "top", provision.Terminal{Term: "vt100"}, nil, io.Discard, io.Discard); code != 5 || err != nil {
		t.Fatalf("Interactive(top) = %d, %v", code, err)
	}
	if !contains(srv.Requests(), "exec top") || len(got) != 2 {
		t.Errorf("commands %q, requests %q", got, srv.Requests())
	}
}

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
