package provision

import (
	"context"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/internal/cmdrun"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/traffic"
)

// unitDir is where trigger units are written in the guest.
const unitDir = "/etc/systemd/system"

// TriggerUnit is the name of the systemd unit that runs trigger t.
func TriggerUnit(t labfile.Trigger) string { return "vlab-trigger-" + t.Name + ".service" }

// RenderTrigger returns the systemd unit that runs t's command with
// /bin/sh, or vlab's traffic client with t's config, and restarts it whenever it stops, without limit: a trigger must
// outlive the trainee's fixes and the services it talks to coming up late.
func RenderTrigger(t labfile.Trigger) []byte {
	desc := "vlab trigger " + t.Name
	if d := strings.Join(strings.Fields(t.Description), " "); d != "" {
		desc += ": " + d
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by vlab: a client that reproduces the incident's traffic or load.\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=%s\n", unitEscape(desc))
	fmt.Fprintf(&b, "After=network-online.target\nWants=network-online.target\nStartLimitIntervalSec=0\n\n")
	if t.Client != nil {
		fmt.Fprintf(&b, "[Service]\nType=simple\nExecStart=%s\n", clientCommand(t))
	} else {
		fmt.Fprintf(&b, "[Service]\nType=simple\nExecStart=/bin/sh -c %s\n", execQuote(t.Command))
	}
	fmt.Fprintf(&b, "Restart=always\nRestartSec=2\n\n")
	fmt.Fprintf(&b, "[Install]\nWantedBy=multi-user.target\n")
	return []byte(b.String())
}

// unitEscape keeps systemd from expanding specifiers in s.
func unitEscape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// execQuote makes s one argument of an ExecStart= line: double-quoted,
// with backslashes, quotes and control characters C-escaped, specifiers
// (%) and variable references ($) doubled so that systemd passes them on.
func execQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '%':
			b.WriteString("%%")
		case '$':
			b.WriteString("$$")
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\x%02x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// StartTriggers writes the units of triggers into the guest, reloads
// systemd and enables and starts them all, so that they run in the golden
// state and again after every boot.
func StartTriggers(ctx context.Context, r Runner, triggers []labfile.Trigger, client ClientBinary, out io.Writer) error {
	if len(triggers) == 0 {
		return nil
	}
	if err := installClients(ctx, r, client, triggers, out); err != nil {
		return err
	}
	units := make([]string, len(triggers))
	for i, t := range triggers {
		units[i] = TriggerUnit(t)
		if err := r.WriteFile(ctx, path.Join(unitDir, units[i]), RenderTrigger(t), 0o644); err != nil {
			return fmt.Errorf("write trigger unit %s: %w", units[i], err)
		}
	}
	// One reload for the new units; enable's own reload is skipped (it
	// costs 5-15 s in a TCG guest, and only links change).
	cmd := "systemctl daemon-reload && systemctl --no-reload enable --now " + quoteAll(units)
	if err := guestRun(ctx, r, "guest", cmd, out); err != nil {
		return fmt.Errorf("start triggers %s: %w; check the trigger commands with `systemctl status` in the guest", strings.Join(units, ", "), err)
	}
	for _, t := range triggers {
		if t.Ready == "" && t.Client != nil {
			// A traffic client is ready once it has counted its first
			// second: a golden state saved before that would hold no
			// statistics, and the first check after a reset would find
			// none (seen on a loaded CI machine).
			t.Ready = "test -s " + traffic.StatsPath(t.Name)
		}
		if t.Ready == "" {
			continue
		}
		if err := awaitReady(ctx, r, t, out); err != nil {
			return err
		}
	}
	return nil
}

// readyTimeout bounds the wait for one trigger's ready command.
var readyTimeout = 2 * time.Minute

// awaitReady runs the trigger's ready command in the guest, once a second,
// until it succeeds. Its output goes to out; only the last lines of the
// last attempt are kept, for the error.
func awaitReady(ctx context.Context, r Runner, t labfile.Trigger, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last string
	for {
		tail := &cmdrun.Tail{Max: 3, LineMax: 512}
		both := cmdrun.Sync(io.MultiWriter(tail, orDiscard(out)))
		code, err := r.Run(ctx, "sh -c "+quote(t.Ready), nil, both, both)
		if err == nil && code == 0 {
			return nil
		}
		last = cmdrun.Shorten(strings.Join(tail.Lines(), " | "))
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("trigger %s: ready check: %w", t.Name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("trigger %s is not ready after %s (ready: %s; last output: %q); check it with `systemctl status %s` in the guest",
				t.Name, readyTimeout, cmdrun.Shorten(t.Ready), last, TriggerUnit(t))
		case <-time.After(time.Second):
		}
	}
}
