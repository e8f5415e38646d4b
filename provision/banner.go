package provision

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// WaitBanner waits until the SSH server at cfg.Addr sends its version line. It
// shows that sshd in the guest accepts connections without paying for a
// key exchange, which under emulation costs more than the rest of a reset.
func WaitBanner(ctx context.Context, cfg SSHConfig) error {
	var last error
	for {
		err := readBanner(ctx, cfg)
		if err == nil {
			return nil
		}
		// An attempt cut short by ctx says less than the one before it
		// ("connection refused", say): keep that one for the message.
		if last == nil || ctx.Err() == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func readBanner(ctx context.Context, cfg SSHConfig) error {
	attempt, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := cfg.dial(attempt)
	if err != nil {
		return err
	}
	defer c.Close()
	dl, _ := attempt.Deadline()
	defer bound(c, dl)()
	// RFC 4253 4.2: a server may send other lines before its version.
	r := bufio.NewReader(io.LimitReader(c, 8<<10))
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("no SSH version line from %s: %w", cfg.Addr, err)
		}
		if strings.HasPrefix(line, "SSH-2.0-") {
			// Say goodbye properly so that sshd logs nothing worse than a
			// closed connection.
			io.WriteString(c, "SSH-2.0-vlab_probe\r\n")
			return nil
		}
	}
}
