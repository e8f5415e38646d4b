package libvirt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	golibvirt "github.com/digitalocean/go-libvirt"
)

// The QEMU guest agent runs commands in a guest without a login: the
// clock after a restore, the instance's key and fresh randomness after a
// golden state is adopted.

// agentTimeout bounds each guest-agent command, in seconds: a guest whose
// agent is gone must not hang a reset (libvirt's default is to wait forever).
const agentTimeout = 5

// SetClock sets the guest's clock with the agent's guest-set-time: one
// agent call, no login and no program of ours started. The agent sets the
// clock, then runs `hwclock -w` to copy it to the RTC: the real hwclock
// busy-waits up to a second for the RTC to tick (measured: 0.9-1.0 s under
// TCG), and vlab's images have a stand-in that does nothing
// (images/hwclock.go; measured: 0.03-0.08 s for the call, against 0.15 s
// with /bin/true as hwclock). With another image the clock is set all the
// same, slower.
func (d *Driver) SetClock(ctx context.Context, name string, t time.Time) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	var out struct{}
	if err := d.agent(dom, "guest-set-time", map[string]any{"time": t.UnixNano()}, &out); err != nil {
		return fmt.Errorf("set clock of vm %s: %w", name, err)
	}
	return nil
}

// GuestRun runs argv as root in the guest through its agent (guest-exec),
// with stdin as its input, and waits for it to exit 0.
func (d *Driver) GuestRun(ctx context.Context, name string, argv []string, stdin []byte) error {
	dom, err := d.l.DomainLookupByName(name)
	if err != nil {
		return fmt.Errorf("vm %s: %w", name, translate(err))
	}
	args := map[string]any{"path": argv[0], "arg": argv[1:], "capture-output": true}
	if stdin != nil {
		args["input-data"] = stdin // base64 in JSON
	}
	var started struct {
		Return struct {
			PID int `json:"pid"`
		} `json:"return"`
	}
	if err := d.agent(dom, "guest-exec", args, &started); err != nil {
		return err
	}
	for {
		var st struct {
			Return struct {
				Exited   bool   `json:"exited"`
				ExitCode int    `json:"exitcode"`
				ErrData  []byte `json:"err-data"` // base64 in JSON
			} `json:"return"`
		}
		if err := d.agent(dom, "guest-exec-status", map[string]any{"pid": started.Return.PID}, &st); err != nil {
			return err
		}
		if st.Return.Exited {
			if st.Return.ExitCode != 0 {
				return fmt.Errorf("%s exited %d: %s", argv[0], st.Return.ExitCode, strings.TrimSpace(string(st.Return.ErrData)))
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
			// Each poll costs the guest agent some CPU, which a guest
			// just resumed under TCG needs for date and sshd; date takes
			// 0.15 s or more there.
		}
	}
}

// agent runs one guest-agent command and decodes its reply into out.
func (d *Driver) agent(dom golibvirt.Domain, command string, args any, out any) error {
	cmd, err := json.Marshal(map[string]any{"execute": command, "arguments": args})
	if err != nil {
		return err
	}
	res, err := d.l.QEMUDomainAgentCommand(dom, string(cmd), agentTimeout, 0)
	if err != nil {
		return fmt.Errorf("guest agent: %s: %w", command, translate(err))
	}
	if len(res) == 0 {
		return fmt.Errorf("guest agent: %s: empty reply", command)
	}
	if err := json.Unmarshal([]byte(res[0]), out); err != nil {
		return fmt.Errorf("guest agent: %s: reply %q: %w", command, res[0], err)
	}
	return nil
}
