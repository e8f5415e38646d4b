package probe

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/vlab-dev/vlab/labfile"
)

// tcp connects with bash's /dev/tcp under timeout(1): both are in every
// Debian system, unlike nc.
type tcp struct{ spec labfile.TCPProbe }

func (t tcp) addr() string { return fmt.Sprintf("%s:%d", t.spec.Host, t.spec.Port) }

func (t tcp) want() string { return t.addr() + " " + t.spec.State }

func (t tcp) take(ctx context.Context, g guest) (observation, error) {
	cmd := script("timeout", "bash") + fmt.Sprintf(`exec timeout %s bash -c 'exec 3<>"/dev/tcp/$0/$1"' %s %d`,
		seconds(t.spec.Timeout.D()), quote(t.spec.Host), t.spec.Port)
	out, err := g.run(ctx, "timeout and bash", cmd, "")
	if err != nil {
		return observation{}, err
	}
	var seen string
	switch out.exit {
	case 0:
		seen = "open"
	case 1:
		seen = "closed"
		if why := lastReason(out.stderr); why != "" {
			seen += ": " + why
		}
	case 124:
		seen = "closed: no answer within " + t.spec.Timeout.D().String()
	default:
		return observation{}, failed("connect to "+t.addr(), out)
	}
	obs := observation{observed: seen, ok: (seen == "open") == (t.spec.State == "open")}
	if !obs.ok {
		obs.msg = fmt.Sprintf("%s is %s, want %s", t.addr(), seen, t.spec.State)
	}
	return obs, nil
}

// lastReason returns the text after the last ": " of bash's last message,
// such as "Connection refused".
func lastReason(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if i := strings.LastIndex(last, ": "); i >= 0 {
		last = last[i+2:]
	}
	return firstLine(strings.TrimSpace(last))
}

// systemd reads a unit's states with systemctl show, whose key=value
// output is meant for programs, unlike is-active's.
type systemd struct{ spec labfile.SystemdProbe }

func (s systemd) want() string { return s.spec.Unit + " " + s.spec.State }

func (s systemd) take(ctx context.Context, g guest) (observation, error) {
	cmd := script("systemctl") + "exec systemctl show --property=LoadState,ActiveState,SubState -- " + quote(s.spec.Unit)
	out, err := g.run(ctx, "systemctl", cmd, "")
	if err != nil {
		return observation{}, err
	}
	if out.exit != 0 {
		return observation{}, failed("systemctl show "+s.spec.Unit, out)
	}
	props := keyValues(out.stdout, "=")
	active, ok := props["ActiveState"]
	if !ok || active == "" {
		return observation{}, fmt.Errorf("systemctl show %s: malformed answer %q", s.spec.Unit, firstLine(out.stdout))
	}
	detail := []string{props["SubState"]}
	if load := props["LoadState"]; load != "loaded" && load != "" {
		detail = append(detail, load)
	}
	obs := observation{ok: active == s.spec.State, observed: fmt.Sprintf("%s (%s)", active, strings.Join(detail, ", "))}
	if !obs.ok {
		obs.msg = fmt.Sprintf("%s is %s, want %s", s.spec.Unit, obs.observed, s.spec.State)
	}
	return obs, nil
}

// keyValues reads lines of key SEP value.
func keyValues(text, sep string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, sep); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// diskFree reads the filesystem's sizes with df in bytes. The free share
// is df's: available over used plus available, so blocks reserved for
// root count as not free.
type diskFree struct {
	spec    labfile.DiskFreeProbe
	bytes   uint64
	percent float64
}

func newDiskFree(spec labfile.DiskFreeProbe) (diskFree, error) {
	b, p, err := labfile.ParseFree(spec.Min)
	if err != nil {
		return diskFree{}, fmt.Errorf("disk-free.min: %w", err)
	}
	return diskFree{spec: spec, bytes: b, percent: p}, nil
}

func (d diskFree) want() string {
	if d.percent > 0 {
		return fmt.Sprintf(">= %s%% free on %s", num(d.percent), d.spec.Path)
	}
	return fmt.Sprintf(">= %s free on %s", size(float64(d.bytes)), d.spec.Path)
}

func (d diskFree) take(ctx context.Context, g guest) (observation, error) {
	out, err := g.run(ctx, "df", script("df")+"exec df -P -B1 -- "+quote(d.spec.Path), "")
	if err != nil {
		return observation{}, err
	}
	if out.exit != 0 {
		return observation{}, failed("df "+d.spec.Path, out)
	}
	used, avail, err := dfLine(out.stdout)
	if err != nil {
		return observation{}, fmt.Errorf("df %s: %w", d.spec.Path, err)
	}
	pct := 100.0
	if used+avail > 0 {
		pct = 100 * avail / (used + avail)
	}
	obs := observation{ok: true, observed: fmt.Sprintf("%s free (%.1f%%)", size(avail), pct), value: &avail}
	if d.percent > 0 && pct < d.percent || d.percent == 0 && avail < float64(d.bytes) {
		obs.ok = false
		obs.msg = fmt.Sprintf("%s has %s, want %s", d.spec.Path, obs.observed, strings.TrimPrefix(d.want(), ">= "))
	}
	return obs, nil
}

// dfLine reads used and available bytes from df -P's last line, found
// around its "NN%" capacity column so that a device name with spaces
// does not shift them.
func dfLine(stdout string) (used, avail float64, err error) {
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	f := strings.Fields(lines[len(lines)-1])
	for i := 2; i < len(f); i++ {
		if !strings.HasSuffix(f[i], "%") {
			continue
		}
		u, err1 := strconv.ParseFloat(f[i-2], 64)
		a, err2 := strconv.ParseFloat(f[i-1], 64)
		if err1 == nil && err2 == nil && u >= 0 && a >= 0 {
			return u, a, nil
		}
	}
	return 0, 0, fmt.Errorf("malformed answer %q", firstLine(lines[len(lines)-1]))
}
