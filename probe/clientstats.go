package probe

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/traffic"
)

// clientStats judges a window of a traffic client's statistics: its
// error rate, throughput or latency. Each sample reads, in one command,
// the client's unit state, the guest's clock and the stats file.
type clientStats struct {
	client string
	window time.Duration
	judge  func(traffic.Summary) observation
	wants  string
}

// staleAfter is how old a stats file may be: the client rewrites it every
// second.
const staleAfter = 5 * time.Second

// freshTries is how many reads a sample makes, a second apart, for stats
// that are stale while the client runs (right after a reset, the client
// has not written since the clock was set).
const freshTries = 4

func newClientStats(p labfile.Probe) (clientStats, error) {
	switch {
	case p.ErrorRate != nil:
		e := *p.ErrorRate
		most, err := labfile.ParsePercent(e.Max)
		if err != nil {
			return clientStats{}, fmt.Errorf("error-rate.max: %v", err)
		}
		c := clientStats{client: e.Client, window: e.Window.D(),
			wants: fmt.Sprintf("<= %s failed (%s) over %s", e.Max, strings.Join(e.Count, ", "), e.Window.D())}
		c.judge = func(s traffic.Summary) observation {
			if s.Requests == 0 {
				return observation{observed: "no requests ended", msg: fmt.Sprintf("client %s had no request end in %s", e.Client, e.Window.D())}
			}
			bad := countFailed(s, e.Count)
			rate := float64(bad) / float64(s.Requests)
			obs := observation{value: &rate, ok: rate <= most,
				observed: fmt.Sprintf("%s failed (%d of %d: %s)", pct(rate), bad, s.Requests, s)}
			if !obs.ok {
				obs.msg = fmt.Sprintf("client %s: %s of requests failed, more than %s", e.Client, pct(rate), e.Max)
			}
			return obs
		}
		return c, nil
	case p.Throughput != nil:
		t := *p.Throughput
		what := "answers"
		if t.Codes != "" {
			what = t.Codes + " answers"
		}
		_, want, _ := bounds(0, t.Min, t.Max, "/s")
		c := clientStats{client: t.Client, window: t.Window.D(), wants: fmt.Sprintf("%s %s over %s", want, what, t.Window.D())}
		c.judge = func(s traffic.Summary) observation {
			n := 0
			for code, v := range s.Codes {
				if t.Codes == "" || codeIn(code, t.Codes) {
					n += v
				}
			}
			per := float64(n) / float64(max(s.Seconds, 1))
			obs := observation{value: &per, observed: fmt.Sprintf("%s/s %s (%s)", strconv.FormatFloat(per, 'f', 1, 64), what, s)}
			obs.ok, _, obs.msg = bounds(per, t.Min, t.Max, "/s")
			if !obs.ok {
				obs.msg = fmt.Sprintf("client %s: %s %s", t.Client, what, obs.msg)
			}
			return obs
		}
		return c, nil
	case p.Latency != nil:
		l := *p.Latency
		q := "p" + num(l.Quantile)
		c := clientStats{client: l.Client, window: l.Window.D(), wants: fmt.Sprintf("%s <= %s over %s", q, l.Max.D(), l.Window.D())}
		c.judge = func(s traffic.Summary) observation {
			d, ok := s.Quantile(l.Quantile / 100)
			if !ok {
				return observation{observed: "no requests ended", msg: fmt.Sprintf("client %s had no request end in %s", l.Client, l.Window.D())}
			}
			secs := d.Seconds()
			obs := observation{value: &secs, ok: d <= l.Max.D(), observed: fmt.Sprintf("%s %s (%d requests)", q, latency(d), s.Requests)}
			if !obs.ok {
				obs.msg = fmt.Sprintf("client %s: %s is %s, above %s", l.Client, q, latency(d), l.Max.D())
			}
			return obs
		}
		return c, nil
	}
	return clientStats{}, fmt.Errorf("not a client stats probe")
}

func (c clientStats) want() string { return c.wants }

func (c clientStats) take(ctx context.Context, g guest) (observation, error) {
	unit := provision.TriggerUnit(labfile.Trigger{Name: c.client})
	cmd := script("systemctl", "date", "head") + "systemctl is-active -- " + quote(unit) +
		"; date +%s.%N; exec head -c " + strconv.Itoa(traffic.MaxStatsSize) + " -- " + quote(traffic.StatsPath(c.client))
	for try := 1; ; try++ {
		out, err := g.run(ctx, "systemctl", cmd, "")
		if err != nil {
			return observation{}, err
		}
		state, rest, _ := strings.Cut(out.stdout, "\n")
		clock, body, _ := strings.Cut(rest, "\n")
		// Only active runs: activating is a client restarting after it
		// crashed (Restart=always), which is not running either.
		if state = strings.TrimSpace(state); state != "active" {
			return observation{observed: "client " + state,
				msg: fmt.Sprintf("client %s is not running (%s is %s)", c.client, unit, state)}, nil
		}
		now, err := strconv.ParseFloat(strings.TrimSpace(clock), 64)
		if err != nil {
			return observation{}, fmt.Errorf("client %s: the guest's clock %q", c.client, firstLine(clock))
		}
		var why error
		st, err := traffic.ParseStats([]byte(body))
		switch {
		case out.exit != 0:
			why = fmt.Errorf("client %s has written no stats (%s)", c.client, firstLine(strings.TrimSpace(out.stderr)))
		case err != nil:
			why = fmt.Errorf("client %s: %s: %v", c.client, traffic.StatsPath(c.client), err)
		default:
			age := st.Age(time.Unix(0, int64(now*1e9)))
			if age <= staleAfter && age > -staleAfter {
				return c.judge(st.Window(c.window)), nil
			}
			why = fmt.Errorf("client %s's stats are stale (written %s ago by the guest's clock) though it runs; see `journalctl -u %s`",
				c.client, age.Round(time.Second), unit)
		}
		if try == freshTries {
			return observation{}, why
		}
		if err := g.c.Clock.Sleep(ctx, time.Second); err != nil {
			return observation{}, err
		}
	}
}

// countFailed counts the requests of s that count says failed: "error" for no
// answer, else status codes or classes.
func countFailed(s traffic.Summary, count []string) int {
	n := 0
	for _, c := range count {
		if c == "error" {
			for _, v := range s.Errors {
				n += v
			}
			continue
		}
		for code, v := range s.Codes {
			if codeIn(code, c) {
				n += v
			}
		}
	}
	return n
}

// codeIn reports whether an HTTP code is in a status expectation (2xx, 200-399, 503).
func codeIn(code, want string) bool {
	n, err := strconv.Atoi(code)
	lo, hi, perr := labfile.ParseStatus(want)
	return err == nil && perr == nil && n >= lo && n <= hi
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func latency(d time.Duration) string {
	if d == time.Duration(1<<63-1) {
		return "over " + time.Duration(traffic.LatencyBounds[len(traffic.LatencyBounds)-1]*float64(time.Millisecond)).String()
	}
	return d.Round(time.Millisecond).String()
}
