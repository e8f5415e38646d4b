package probetest

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/internal/sshtest"
	"github.com/vlab-dev/vlab/provision"
)

// Answer decides what a Guest replies to a command and its stdin; the
// reply's Err is not used (a Runner stands in for a lost connection).
type Answer func(cmd, stdin string) Reply

// Guest is an in-process SSH server standing in for a lab VM: it answers
// every command with Answer and never runs anything.
type Guest struct {
	Server *sshtest.Server

	mu     sync.Mutex
	cmds   []string
	stdins []string
}

// NewGuest starts a guest answering with answer; it stops when the test ends.
func NewGuest(t testing.TB, answer Answer) *Guest {
	t.Helper()
	g := &Guest{}
	g.Server = sshtest.Start(t, sshtest.Options{NoSFTP: true,
		Handler: func(_ context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) int {
			in, _ := io.ReadAll(io.LimitReader(stdin, 1<<20))
			g.mu.Lock()
			g.cmds, g.stdins = append(g.cmds, cmd), append(g.stdins, string(in))
			g.mu.Unlock()
			rep := answer(cmd, string(in))
			io.WriteString(stdout, rep.Stdout)
			io.WriteString(stderr, rep.Stderr)
			return rep.Exit
		}})
	return g
}

// Dial connects to the guest over SSH as vlab does; the connection is
// closed when the test ends.
func (g *Guest) Dial(t testing.TB) *provision.SSH {
	t.Helper()
	key, _, err := provision.NewKey("probetest")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := provision.Dial(ctx, provision.SSHConfig{Addr: g.Server.Addr, Key: key, HostKeys: &provision.HostKeys{}})
	if err != nil {
		t.Fatalf("dial the test guest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Cmds returns the commands run so far, and what each got on stdin.
func (g *Guest) Cmds() (cmds, stdins []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.cmds...), append([]string(nil), g.stdins...)
}
