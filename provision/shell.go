package provision

import (
	"context"
	"io"

	"golang.org/x/crypto/ssh"
)

// Terminal describes the user's terminal for an interactive session.
type Terminal struct {
	Term          string
	Width, Height int
	// Resize delivers new sizes while the session runs; may be nil.
	Resize <-chan [2]int
}

// Interactive runs cmd (a login shell when empty) with a pty and returns its
// exit status. The caller puts its own terminal in raw mode.
func (s *SSH) Interactive(ctx context.Context, cmd string, t Terminal, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	sess, err := s.session(ctx)
	if err != nil {
		return -1, err
	}
	defer sess.Close()
	modes := ssh.TerminalModes{ssh.ECHO: 1, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if t.Term == "" {
		t.Term = "xterm"
	}
	if err := sess.RequestPty(t.Term, t.Height, t.Width, modes); err != nil {
		return -1, err
	}
	sess.Stdin, sess.Stdout, sess.Stderr = stdin, stdout, stderr
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case sz, ok := <-t.Resize:
				if !ok {
					return
				}
				sess.WindowChange(sz[1], sz[0])
			case <-stop:
				return
			}
		}
	}()
	start := func() error {
		if cmd == "" {
			if err := sess.Shell(); err != nil {
				return err
			}
			return sess.Wait()
		}
		return sess.Run(cmd)
	}
	return wait(ctx, sess, start)
}
