package libvirt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/internal/sshtest"
	"github.com/vlab-dev/vlab/provision"
)

func TestParseURI(t *testing.T) {
	for _, c := range []struct {
		uri  string
		want target
		err  string
	}{
		{uri: "qemu:///system", want: target{}},
		{uri: "qemu:///system?socket=/run/l.sock", want: target{socket: "/run/l.sock"}},
		{uri: "qemu+ssh://ops@lab1:2222/system?keyfile=/k&known_hosts=/kh",
			want: target{ssh: "lab1:2222", user: "ops", keyfile: "/k", knownHosts: "/kh"}},
		{uri: "qemu+ssh://ops@lab1/system", want: target{ssh: "lab1:22", user: "ops"}},
		{uri: "qemu:///session", err: "system instance"},
		{uri: "qemu://lab1/system", err: "needs qemu+ssh"},
		{uri: "qemu+tls://lab1/system", err: `transport "qemu+tls"`},
		{uri: "qemu+ssh:///system", err: "no host"},
		{uri: "qemu+ssh://lab1/system?no_verify=1", err: `unknown parameter "no_verify"`},
		{uri: "qemu:///system?keyfile=/k", err: "for qemu+ssh"},
	} {
		got, err := parseURI(c.uri)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), c.uri) {
				t.Errorf("parseURI(%q) = %v, want an error naming the URI and %q", c.uri, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("parseURI(%q) = %+v, %v; want %+v", c.uri, got, err, c.want)
		}
	}
}

// TestDialHostKeys: a host not in known_hosts, or with another key, is
// refused with a line saying what to do; the right one is reached.
func TestDialHostKeys(t *testing.T) {
	dir := t.TempDir()
	userKey, userPub, _ := provision.NewKey("user")
	pub, _, _, _, _ := ssh.ParseAuthorizedKey(userPub)
	srv := sshtest.Start(t, sshtest.Options{Authorized: []ssh.PublicKey{pub}})
	keyfile := filepath.Join(dir, "key")
	os.WriteFile(keyfile, userKey, 0o600)
	other, _, _ := provision.NewKey("other")
	otherSigner, _ := ssh.ParsePrivateKey(other)
	line := func(k ssh.PublicKey) []byte {
		return []byte(fmt.Sprintf("[127.0.0.1]:%d %s", srv.Port, ssh.MarshalAuthorizedKey(k)))
	}
	kh := filepath.Join(dir, "known_hosts")
	tg := target{ssh: fmt.Sprintf("127.0.0.1:%d", srv.Port), user: "ops", keyfile: keyfile, knownHosts: kh}
	ctx := context.Background()

	os.WriteFile(kh, nil, 0o600)
	if _, err := dialHost(ctx, tg); err == nil || !strings.Contains(err.Error(), "is not in "+kh) {
		t.Errorf("unknown host: %v, want 'is not in known_hosts'", err)
	}
	os.WriteFile(kh, line(otherSigner.PublicKey()), 0o600)
	if _, err := dialHost(ctx, tg); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("changed host key: %v, want 'does not match'", err)
	}
	os.WriteFile(kh, line(srv.HostKey.PublicKey()), 0o600)
	c, err := dialHost(ctx, tg)
	if err != nil {
		t.Fatalf("known host: %v", err)
	}
	c.Close()

	tg.keyfile = filepath.Join(dir, "missing")
	if _, err := dialHost(ctx, tg); err == nil || !strings.Contains(err.Error(), "keyfile") {
		t.Errorf("missing keyfile: %v", err)
	}
}

// TestCheckURI: CheckURI refuses what parseURI refuses, naming the URI.
func TestCheckURI(t *testing.T) {
	for _, uri := range []string{"qemu:///system", "qemu+ssh://ops@lab1/system?keyfile=/k"} {
		if err := CheckURI(uri); err != nil {
			t.Errorf("CheckURI(%q) = %v", uri, err)
		}
	}
	for _, uri := range []string{"lab2", "qemu+tls://lab1/system", "qemu:///session", "http://x/system"} {
		if err := CheckURI(uri); err == nil || !strings.Contains(err.Error(), uri) {
			t.Errorf("CheckURI(%q) = %v, want an error naming it", uri, err)
		}
	}
}
