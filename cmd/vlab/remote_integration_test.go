//go:build integration

package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/provision"
)

// remoteHost runs a real OpenSSH sshd on 127.0.0.1 (this machine playing
// the remote libvirt host) and returns the qemu+ssh URI that reaches
// libvirtd through it, its log, and stop and start for it.
func remoteHost(t *testing.T) (uri string, log *bytes.Buffer, stop, start func()) {
	return remoteHostIn(t, 0)
}

// remoteHostIn is remoteHost with sshd in the mount namespace of process
// pid (0: this one's), where /run/libvirt may be another libvirtd's.
func remoteHostIn(t *testing.T, pid int) (uri string, log *bytes.Buffer, stop, start func()) {
	t.Helper()
	sshd := os.Getenv("VLAB_TEST_SSHD")
	if sshd == "" {
		t.Fatal("VLAB_TEST_SSHD is not set: scripts/test unpacks a real sshd with scripts/test-sshd")
	}
	dir := t.TempDir()
	hostPriv, _, err := provision.NewKey("remote-host")
	if err != nil {
		t.Fatal(err)
	}
	userPriv, userPub, err := provision.NewKey("vlab-user")
	if err != nil {
		t.Fatal(err)
	}
	hostSigner, err := ssh.ParsePrivateKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	files := map[string][]byte{
		"host_key":        hostPriv,
		"user_key":        userPriv,
		"authorized_keys": userPub,
		"known_hosts":     []byte(fmt.Sprintf("[127.0.0.1]:%d %s", port, ssh.MarshalAuthorizedKey(hostSigner.PublicKey()))),
		"sshd_config": []byte(fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %[2]s/host_key
PidFile %[2]s/sshd.pid
AuthorizedKeysFile %[2]s/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
Subsystem sftp internal-sftp
LogLevel DEBUG1
`, port, dir)),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	log, stop, start = runSSHDIn(t, pid, sshd, filepath.Join(dir, "sshd_config"), port)
	start()
	t.Cleanup(stop)
	uri = fmt.Sprintf("qemu+ssh://root@127.0.0.1:%d/system?keyfile=%s&known_hosts=%s",
		port, filepath.Join(dir, "user_key"), filepath.Join(dir, "known_hosts"))
	return uri, log, stop, start
}

// runSSHD returns start and stop for the real sshd at path with config,
// listening on 127.0.0.1:port, and the buffer it logs to.
func runSSHD(t *testing.T, sshd, config string, port int) (log *bytes.Buffer, stop, start func()) {
	t.Helper()
	return runSSHDIn(t, 0, sshd, config, port)
}

// runSSHDIn is runSSHD in the mount namespace of process pid (0: this
// one's).
func runSSHDIn(t *testing.T, pid int, sshd, config string, port int) (log *bytes.Buffer, stop, start func()) {
	t.Helper()
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation folder
	root := filepath.Dir(filepath.Dir(filepath.Dir(sshd)))
	log = &bytes.Buffer{}
	var cmd *exec.Cmd
	stop = func() {
		if cmd != nil {
			cmd.Process.Kill()
			cmd.Wait()
			cmd = nil
		}
	}
	start = func() {
		cmd = exec.Command(sshd, "-D", "-e", "-f", config)
		if pid != 0 {
			cmd = exec.Command("nsenter", fmt.Sprintf("--mount=/proc/%d/ns/mnt", pid), "--", sshd, "-D", "-e", "-f", config)
		}
		cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(root, "usr/lib/x86_64-linux-gnu"))
		cmd.Stdout, cmd.Stderr = log, log
		// Per-connection sshd children hold the log pipe after a stop.
		cmd.WaitDelay = time.Second
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := 0; ; i++ {
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				c.Close()
				return
			}
			if i == 50 {
				t.Fatalf("sshd did not listen: %s", log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return log, stop, start
}

// TestIntegrationRemoteHost runs a lab on a libvirt host reached over SSH:
// libvirt's RPC and every guest SSH connection go through the host's sshd,
// and later commands find the host from the instance's record.
func TestIntegrationRemoteHost(t *testing.T) {
	afterTheLabs(t) // sets VLAB_ACCEL=tcg: the local probe does not apply to a remote host; HOST.md's KVM hangs
	timed(t)
	uri, log, stop, start := remoteHost(t)
	const id = "remote"
	defer vlab(t, "destroy", "hello", "-i", id)

	// The host's golden store is reached over SFTP on the same SSH
	// connection: a lab it keeps is adopted, one it lacks is provisioned
	// and kept.
	kept := strings.Contains(mustVlab(t, "--connect", uri, "golden", "list"), "hello ")
	code, _, errOut := vlab(t, "--connect", uri, "up", "hello", "-i", id)
	if code != 0 {
		t.Fatalf("up on the remote host: exit %d\n%s", code, errOut)
	}
	if adopted := strings.Contains(errOut, "from the host's golden state"); adopted != kept {
		t.Errorf("up on a remote host that keeps hello's golden state: %v; adopted it: %v\n%s", kept, adopted, errOut)
	}
	if !strings.Contains(mustVlab(t, "--connect", uri, "golden", "list"), "hello ") {
		t.Error("the remote host's golden store lacks hello after its up")
	}
	st, err := instance.LoadState(instanceDir(t, instance.Home{Dir: os.Getenv("VLAB_HOME")}, id))
	if err != nil {
		t.Fatal(err)
	}
	if st.Connect != uri {
		t.Fatalf("state records connect %q, want %q", st.Connect, uri)
	}
	port := st.VMs["box"].SSHPort
	if out := mustVlab(t, "status", "hello", "-i", id, "--json"); !strings.Contains(out, `"host": "qemu+ssh://root@127.0.0.1`) || !strings.Contains(out, `"state": "running"`) {
		t.Errorf("status of the remote instance does not show it running on its host:\n%s", out)
	}

	// No --connect: the instance knows its host.
	if out := mustVlab(t, "ssh", "hello", "-i", id, "--", "cat", "/etc/hostname"); strings.TrimSpace(out) != "box" {
		t.Errorf("hostname over the tunnel = %q", out)
	}
	if !strings.Contains(log.String(), fmt.Sprintf("target 127.0.0.1 port %d", port)) {
		t.Errorf("sshd forwarded no connection to the guest's port %d:\n%s", port, tail(log.String(), 30))
	}
	if !strings.Contains(log.String(), "streamlocal") {
		t.Errorf("sshd log shows no stream forwarding to libvirtd's socket:\n%s", tail(log.String(), 30))
	}
	mustVlab(t, "reset", "hello", "-i", id)
	if code, _, _ := vlab(t, "check", "hello", "-i", id); code != 0 {
		t.Errorf("check after reset on the remote host: exit %d, want 0 (hello has nothing broken)", code)
	}

	// With the host's sshd gone, commands fail with one line naming it.
	stop()
	code, _, errOut = vlab(t, "ssh", "hello", "-i", id, "--", "true")
	if code == 0 || !strings.Contains(errOut, "127.0.0.1") || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
		t.Errorf("ssh with the libvirt host unreachable: exit %d, stderr %q; want one line naming the host", code, errOut)
	}
	start()
	uid := instanceUID(t, id)
	mustVlab(t, "destroy", "hello", "-i", id)
	if left := leftovers(t, uid); len(left) > 0 {
		t.Errorf("left on the host after destroy: %v", left)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
