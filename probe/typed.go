package probe

import (
	"context"
	"fmt"
	"github.com/vlab-dev/vlab/internal/shquote"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

// newSampler returns how to sample p: its own command, or the fixed
// command of its type. Typed probes never run text of the lab as shell:
// what they pass on is quoted, or fed on stdin (a SQL query).
func newSampler(p labfile.Probe) (sampler, error) {
	switch {
	case p.HTTP != nil:
		return newHTTP(*p.HTTP)
	case p.TCP != nil:
		return tcp{*p.TCP}, nil
	case p.Systemd != nil:
		return systemd{*p.Systemd}, nil
	case p.DiskFree != nil:
		return newDiskFree(*p.DiskFree)
	case p.Rate != nil:
		return newRate(*p.Rate)
	case p.SQL != nil:
		return newSQL(*p.SQL)
	case p.ReplicationLag != nil:
		if p.ReplicationLag.Max == nil {
			return nil, fmt.Errorf("replication-lag.max is missing")
		}
		return replicationLag{max: p.ReplicationLag.Max.D()}, nil
	case p.ErrorRate != nil, p.Throughput != nil, p.Latency != nil:
		return newClientStats(p)
	}
	exp, err := compile(p.Expect)
	if err != nil {
		return nil, err
	}
	return command{cmd: p.Command, exp: exp}, nil
}

// missingTool is the exit status of a fixed command whose tool is not
// installed: the shell's own "command not found".
const missingTool = 127

// script starts a fixed command: a C locale, so that tools print what the
// parsers expect, and a check that each tool is installed.
func script(tools ...string) string {
	s := "export LC_ALL=C; "
	for _, t := range tools {
		s += fmt.Sprintf("command -v %s >/dev/null 2>&1 || exit %d; ", t, missingTool)
	}
	return s
}

// run runs a fixed command, turning a missing tool into an error that
// names it and the VM.
func (g guest) run(ctx context.Context, tool, cmd, stdin string) (output, error) {
	out, err := g.exec(ctx, cmd, stdin)
	if err != nil {
		return out, fmt.Errorf("run %s in vm %s: %v", tool, g.vm, err)
	}
	if out.exit == missingTool {
		return out, fmt.Errorf("%s missing in vm %s; the probe needs it there (install it in the image or the lab's provisioning)", tool, g.vm)
	}
	return out, nil
}

// failed is the error of a fixed command that ran and failed: its status
// and what it said.
func failed(what string, out output) error {
	msg := firstLine(strings.TrimSpace(out.stderr))
	if msg == "" {
		msg = firstLine(strings.TrimSpace(out.stdout))
	}
	return fmt.Errorf("%s: exit status %d: %s", what, out.exit, msg)
}

// quote makes s one word for the guest's shell.
func quote(s string) string { return shquote.Quote(s) }

// seconds writes a timeout as whole seconds for tools that take them, at
// least one.
func seconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// num writes a number as short as it reads.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// size writes bytes in powers of 1024, as df -h does.
func size(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	i := 0
	for b >= 1024 && i < len(units)-1 {
		b /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", b)
	}
	return fmt.Sprintf("%.1f %s", b, units[i])
}

// bounds judges v against an optional min and max; unit follows each number.
func bounds(v float64, lo, hi *float64, unit string) (ok bool, want, msg string) {
	switch {
	case lo != nil && hi != nil:
		want = fmt.Sprintf("%s..%s%s", num(*lo), num(*hi), unit)
	case lo != nil:
		want = fmt.Sprintf(">= %s%s", num(*lo), unit)
	case hi != nil:
		want = fmt.Sprintf("<= %s%s", num(*hi), unit)
	}
	switch {
	case lo != nil && v < *lo:
		return false, want, fmt.Sprintf("%s%s is below %s%s", num(v), unit, num(*lo), unit)
	case hi != nil && v > *hi:
		return false, want, fmt.Sprintf("%s%s is above %s%s", num(v), unit, num(*hi), unit)
	}
	return true, want, ""
}
