package probe

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vlab-dev/vlab/labfile"
)

// rate reads a counter twice, Over apart, each time with the guest's
// uptime, so that the rate is per second of the guest's own clock
// whatever SSH's delays.
type rate struct {
	spec    labfile.RateProbe
	pattern *regexp.Regexp
}

func newRate(spec labfile.RateProbe) (rate, error) {
	r := rate{spec: spec}
	if spec.Pattern != "" {
		var err error
		if r.pattern, err = regexp.Compile(spec.Pattern); err != nil || r.pattern.NumSubexp() < 1 {
			return r, fmt.Errorf("rate.pattern %q: want a regexp with a capture group", spec.Pattern)
		}
	}
	return r, nil
}

// counter names what is read, for messages.
func (r rate) counter() string {
	if r.spec.File != "" {
		return r.spec.File
	}
	return r.spec.Unit + " " + r.spec.Property
}

func (r rate) want() string {
	_, want, _ := bounds(0, r.spec.Min, r.spec.Max, "/s")
	return fmt.Sprintf("%s of %s over %s", want, r.counter(), r.spec.Over.D())
}

func (r rate) take(ctx context.Context, g guest) (observation, error) {
	t0, v0, err := r.read(ctx, g)
	if err != nil {
		return observation{}, err
	}
	if err := g.c.Clock.Sleep(ctx, r.spec.Over.D()); err != nil {
		return observation{}, fmt.Errorf("between reads of %s: %v", r.counter(), err)
	}
	t1, v1, err := r.read(ctx, g)
	if err != nil {
		return observation{}, err
	}
	switch {
	case t1 <= t0:
		return observation{}, fmt.Errorf("%s: the guest's uptime did not move (%s, then %s); was the VM reset?", r.counter(), num(t0), num(t1))
	case v1 < v0:
		return observation{}, fmt.Errorf("%s went down from %s to %s (restarted?); check again", r.counter(), num(v0), num(v1))
	}
	per := (v1 - v0) / (t1 - t0)
	obs := observation{value: &per, observed: strconv.FormatFloat(per, 'f', 2, 64) + "/s"}
	obs.ok, _, obs.msg = bounds(per, r.spec.Min, r.spec.Max, "/s")
	if !obs.ok {
		obs.msg = r.counter() + ": " + obs.msg
	}
	return obs, nil
}

// read returns the guest's uptime in seconds and the counter.
func (r rate) read(ctx context.Context, g guest) (uptime, value float64, err error) {
	cmd, tool := script("cat", "head")+"cat /proc/uptime && exec head -c 65536 -- "+quote(r.spec.File), "cat"
	if r.spec.File == "" {
		tool = "systemctl"
		cmd = script("cat", "systemctl") + "cat /proc/uptime && exec systemctl show --value --property=" +
			quote(r.spec.Property) + " -- " + quote(r.spec.Unit)
	}
	out, err := g.run(ctx, tool, cmd, "")
	if err != nil {
		return 0, 0, err
	}
	if out.exit != 0 {
		return 0, 0, failed("read "+r.counter(), out)
	}
	first, rest, _ := strings.Cut(out.stdout, "\n")
	f := strings.Fields(first)
	if len(f) == 0 {
		return 0, 0, fmt.Errorf("read %s: malformed /proc/uptime %q", r.counter(), firstLine(first))
	}
	if uptime, err = strconv.ParseFloat(f[0], 64); err != nil {
		return 0, 0, fmt.Errorf("read %s: malformed /proc/uptime %q", r.counter(), firstLine(first))
	}
	text := strings.TrimSpace(rest)
	if r.pattern != nil {
		m := r.pattern.FindStringSubmatch(rest)
		if m == nil {
			return 0, 0, fmt.Errorf("%s: %s not found in %q", r.counter(), r.pattern, firstLine(text))
		}
		text = strings.TrimSpace(m[1])
	}
	if value, err = strconv.ParseFloat(text, 64); err != nil {
		return 0, 0, fmt.Errorf("%s: %q is not a number", r.counter(), firstLine(text))
	}
	return uptime, value, nil
}
