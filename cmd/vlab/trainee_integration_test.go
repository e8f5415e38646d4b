//go:build integration

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/provision"
)

// TestIntegrationTraineeAccess: two trainees of a class on real VMs log in
// to a real sshd with their own keys, each allowed by `vlab class keys`
// only `vlab trainee` for themselves. Each reaches their own VM; every
// attempt on the other's instance, at a trainer's verb or at forwarding
// is refused, and what one writes in their VM is not in the other's. The
// class is spread over two lab servers (this machine's libvirtd and a
// second one, secondHost): one trainee on each, each instance's VM on its
// own host's libvirtd only.
func TestIntegrationTraineeAccess(t *testing.T) {
	afterTheLabs(t) // sets VLAB_ACCEL=tcg: asked, the second host's libvirt offers KVM, which hangs here (HOST.md)
	timed(t)
	sshd := os.Getenv("VLAB_TEST_SSHD")
	if sshd == "" {
		t.Fatal("VLAB_TEST_SSHD is not set: scripts/test unpacks a real sshd with scripts/test-sshd")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "vlab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build vlab: %v\n%s", err, out)
	}
	second, virsh2 := secondHost(t)
	mustVlab(t, "class", "up", "hello", "--trainees", "alice,bob", "--hosts", "qemu:///system,"+second)
	t.Cleanup(func() { vlab(t, "class", "destroy", "hello") })
	onHosts(t, second, virsh2)
	// The second host keeps the golden state its instance saved (over
	// SFTP), and the next instance of the lab there starts from it.
	if out := mustVlab(t, "--connect", second, "golden", "list"); !strings.Contains(out, "hello ") {
		t.Errorf("the second host's golden store:\n%s", out)
	}
	code, _, errOut := vlab(t, "--connect", second, "up", "hello", "-i", "second-host-again")
	if code != 0 || !strings.Contains(errOut, "from the host's golden state") || strings.Contains(errOut, "provisioning") {
		t.Errorf("a second instance on the second host: exit %d\n%s", code, errOut)
	}
	vlab(t, "destroy", "hello", "-i", "second-host-again")

	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o755)
	signers := map[string]ssh.Signer{}
	for _, who := range []string{"alice", "bob"} {
		priv, pub, err := provision.NewKey(who + "@laptop")
		if err != nil {
			t.Fatal(err)
		}
		if signers[who], err = ssh.ParsePrivateKey(priv); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(keys, who+".pub"), pub, 0o644)
	}
	ak := filepath.Join(dir, "authorized_keys")
	mustVlab(t, "class", "keys", "hello", "--keys", keys, "--vlab", bin, "--write", ak)

	hostPriv, _, _ := provision.NewKey("lab-server")
	os.WriteFile(filepath.Join(dir, "host_key"), hostPriv, 0o600)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	config := filepath.Join(dir, "sshd_config")
	os.WriteFile(config, []byte(fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %[2]s/host_key\nPidFile %[2]s/sshd.pid\n"+
		"AuthorizedKeysFile %[2]s/authorized_keys\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"+
		"PasswordAuthentication no\nKbdInteractiveAuthentication no\nAllowTcpForwarding yes\nLogLevel VERBOSE\n", port, dir)), 0o600)
	log, stop, start := runSSHD(t, sshd, config, port)
	start()
	t.Cleanup(stop)

	clients := map[string]*ssh.Client{}
	for who, s := range signers {
		c, err := ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{User: "root",
			Auth: []ssh.AuthMethod{ssh.PublicKeys(s)}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
		if err != nil {
			t.Fatalf("%s logs in: %v\n%s", who, err, log)
		}
		defer c.Close()
		clients[who] = c
	}
	asWith := func(who, request, stdin string) (int, string) {
		t.Helper()
		s, err := clients[who].NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var out, errOut bytes.Buffer
		s.Stdout, s.Stderr, s.Stdin = &out, &errOut, strings.NewReader(stdin)
		code := 0
		if err := s.Run(request); err != nil {
			ee, ok := err.(*ssh.ExitError)
			if !ok {
				t.Fatalf("%s %q: %v", who, request, err)
			}
			code = ee.ExitStatus()
		}
		t.Logf("%s: %q → %d\n%s%s", who, request, code, out.String(), errOut.String())
		return code, out.String() + errOut.String()
	}
	as := func(who, request string) (int, string) { t.Helper(); return asWith(who, request, "") }

	if code, out := as("alice", "ssh box -- echo alice > /root/note; hostname; cat /root/note"); code != 0 || !strings.Contains(out, "box\nalice") {
		t.Errorf("alice in her VM: exit %d: %s", code, out)
	}
	if code, out := as("bob", "ssh box -- cat /root/note"); code == 0 || strings.Contains(out, "alice") {
		t.Errorf("bob's VM has alice's note: exit %d: %s", code, out)
	}
	if code, out := as("alice", "check"); code != 0 || !strings.Contains(out, "motd-greets") {
		t.Errorf("alice's check: exit %d: %s", code, out)
	}
	for _, request := range []string{"reset --instance hello-bob", "ssh -i hello-bob box", "check --instance=hello-bob", "destroy", "class destroy hello", "down", "solution", "status --labs /tmp"} {
		if code, out := as("alice", request); code != 2 || !strings.Contains(out, "not for trainees") {
			t.Errorf("alice %q: exit %d: %s", request, code, out)
		}
	}
	// No forwarding of any kind: not to a port of the server, not to its
	// Unix sockets (libvirt's would give her every instance).
	if c, err := clients["alice"].Dial("tcp", "127.0.0.1:22"); err == nil {
		c.Close()
		t.Error("alice opened a forwarded connection to 127.0.0.1:22 through the lab server")
	}
	if c, err := clients["alice"].Dial("unix", "/run/libvirt/libvirt-sock"); err == nil {
		c.Close()
		t.Error("alice reached libvirt's socket through the lab server")
	}
	if l, err := clients["alice"].Listen("tcp", "127.0.0.1:0"); err == nil {
		l.Close()
		t.Error("alice listened on the lab server through a remote forward")
	}
	if code, out := as("bob", "ssh box -- hostname"); code != 0 || !strings.Contains(out, "box") {
		t.Errorf("bob in his VM after alice's attempts: exit %d: %s", code, out)
	}
	if code, out := as("alice", "inject --list"); code != 0 {
		t.Errorf("alice's injects: exit %d: %s", code, out)
	}
	// Her page, over her own login (what socat on her laptop sends for
	// each connection of her browser): hers, not bob's.
	get := "GET / HTTP/1.1\r\nHost: 127.0.0.1:7070\r\nConnection: close\r\n\r\n"
	if code, out := asWith("alice", "page", get); code != 0 || !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.Contains(out, "hello-alice") || strings.Contains(out, "hello-bob") {
		t.Errorf("alice's page over her login: exit %d: %.600s", code, out)
	}
	if code, out := as("alice", "page --listen 0.0.0.0:7070"); code != 2 || !strings.Contains(out, "not for trainees") {
		t.Errorf("alice's page on an address of her choice: exit %d: %s", code, out)
	}
	if t.Failed() {
		keys, _ := os.ReadFile(ak)
		t.Logf("authorized_keys:\n%s\nsshd:\n%s", keys, log)
	}
}

// onHosts checks that the class of hello has one trainee on this machine
// and one on the second host, and that each instance's VM is a domain of
// its own host's libvirtd only.
func onHosts(t *testing.T, second string, virsh2 func(...string) string) {
	t.Helper()
	var rows []classroom.TraineeStatus
	if err := json.Unmarshal([]byte(mustVlab(t, "class", "status", "hello", "--json")), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("class status: %v %+v", err, rows)
	}
	if rows[0].Host == rows[1].Host || (rows[0].Host != second && rows[1].Host != second) {
		t.Fatalf("hosts of the class: %q and %q; want this machine and %s", rows[0].Host, rows[1].Host, second)
	}
	local, _ := exec.Command("virsh", "-c", "qemu:///system", "list", "--all", "--name").CombinedOutput()
	remote := virsh2("list", "--all", "--name")
	for _, r := range rows {
		mine, other := string(local), remote
		if r.Host == second {
			mine, other = remote, string(local)
		}
		if !strings.Contains(mine, "-"+r.Instance+"-box") || strings.Contains(other, "-"+r.Instance+"-box") {
			t.Errorf("%s (host %q): its host lists\n%s\nthe other\n%s", r.Instance, r.Host, mine, other)
		}
	}
	if out := mustVlab(t, "class", "status", "hello"); !strings.Contains(out, "HOST") || !strings.Contains(out, "this machine") {
		t.Errorf("class status shows no hosts:\n%s", out)
	}
}
