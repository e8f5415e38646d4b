package provision_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/internal/sshtest"
	"github.com/vlab-dev/vlab/provision"
)

// TestSharedConnection: a process that holds a connection to a guest
// shares it on a socket; others run commands over it (output, stdin, exit
// status, files), only with the VM's key; the socket goes when the guest's
// connection ends.
func TestSharedConnection(t *testing.T) {
	key, _ := clientKey(t)
	srv := sshtest.NewServer(t, sshtest.Shell(t.TempDir()))
	guest := dial(t, srv.Addr, key, &provision.HostKeys{})
	sock := filepath.Join(t.TempDir(), "shared.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- provision.Share(ctx, guest, sock, key) }()
	s := dialShared(t, ctx, sock, key)
	for i := 0; i < 2; i++ {
		var out, errOut strings.Builder
		code, err := s.Run(ctx, "read x; echo got $x; echo oops >&2; exit 3", strings.NewReader("hello\n"), &out, &errOut)
		if err != nil || code != 3 || out.String() != "got hello\n" || errOut.String() != "oops\n" {
			t.Fatalf("run %d over the shared connection: exit %d %v, out %q, err %q", i, code, err, out.String(), errOut.String())
		}
	}
	// A command that ends at once: its exit status and the answer to its
	// exec both reach the client (the session is not closed before).
	for i := 0; i < 200; i++ {
		if code, err := s.Run(ctx, "exit 7", nil, nil, nil); err != nil || code != 7 {
			t.Fatalf("quick command %d over the shared connection: exit %d, %v", i, code, err)
		}
	}
	if err := s.WriteFile(ctx, filepath.Join(t.TempDir(), "f"), []byte("x"), 0o644); err != nil {
		t.Errorf("sftp over the shared connection: %v", err)
	}

	other, _ := clientKey(t)
	if _, err := provision.DialShared(ctx, sock, other); err == nil {
		t.Error("the shared connection took another key")
	}

	guest.Close() // the guest's connection ends: so does the server
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Share: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Share still serving after the guest connection ended")
	}
	if _, err := provision.DialShared(ctx, sock, key); err == nil {
		t.Error("the socket still answers")
	}
}

// TestSharedFallsBack: a guest that allows a connection two sessions at
// once (OpenSSH allows ten) refuses a third on the shared login; with a
// fallback the third runs on a connection of its own, without it the
// refusal is the error.
func TestSharedFallsBack(t *testing.T) {
	key, _ := clientKey(t)
	srv := sshtest.Start(t, sshtest.Options{Handler: sshtest.Shell(t.TempDir()), MaxSessions: 2})
	guest := dial(t, srv.Addr, key, &provision.HostKeys{})
	sock := filepath.Join(t.TempDir(), "shared.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go provision.Share(ctx, guest, sock, key)
	s := dialShared(t, ctx, sock, key)
	// Two sessions that wait for their input hold the guest's two.
	var holds []*io.PipeWriter
	var wg sync.WaitGroup
	for range 2 {
		r, w := io.Pipe()
		holds = append(holds, w)
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(ctx, "cat >/dev/null", r, nil, nil) }()
	}
	defer func() {
		for _, w := range holds {
			w.Close()
		}
		wg.Wait()
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if n := strings.Count(strings.Join(srv.Requests(), "\n"), "exec cat"); n == 2 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("the holding sessions did not start: %q", srv.Requests())
		}
	}
	if _, err := s.Run(ctx, "true", nil, nil, nil); err == nil || !strings.Contains(err.Error(), "open failed") {
		t.Errorf("a third session without a fallback: %v, want the guest's refusal", err)
	}
	dialled := 0
	s.WithFallback(func(ctx context.Context) (*provision.SSH, error) {
		dialled++
		return provision.Dial(ctx, provision.SSHConfig{Addr: srv.Addr, Key: key, HostKeys: &provision.HostKeys{}})
	})
	for i := range 2 {
		var out strings.Builder
		if code, err := s.Run(ctx, "echo direct", nil, &out, nil); err != nil || code != 0 || out.String() != "direct\n" {
			t.Errorf("session %d with a fallback: exit %d, %v, %q", i+3, code, err, out.String())
		}
	}
	if dialled != 1 {
		t.Errorf("the fallback dialled %d times, want once", dialled)
	}
}

// dialShared dials the shared connection on sock once it serves.
func dialShared(t *testing.T, ctx context.Context, sock string, key []byte) *provision.SSH {
	t.Helper()
	var s *provision.SSH
	var err error
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s, err = provision.DialShared(ctx, sock, key); err == nil {
			t.Cleanup(func() { s.Close() })
			return s
		}
	}
	t.Fatalf("dial the shared connection: %v", err)
	return nil
}
