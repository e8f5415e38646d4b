package probe

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// maxOutput bounds what is kept of a command's stdout and stderr.
const maxOutput = 64 << 10

// defaultInterval is used when a probe comes without one (labfile.Load fills it).
const defaultInterval = 2 * time.Second

// run samples p until it has run Samples times and held for Hold, stopping
// at the first sample that fails or cannot run.
func (c Checker) run(ctx context.Context, r provision.Runner, p labfile.Probe) (res Result) {
	res = newResult(p)
	exp, err := compile(p.Expect)
	if err != nil {
		res.Status, res.Message = Error, err.Error()
		return res
	}
	interval := p.Interval.D()
	if interval <= 0 {
		interval = defaultInterval
	}
	start := c.Clock.Now()
	defer func() { res.Seconds = c.Clock.Now().Sub(start).Seconds() }()
	for i := 0; ; i++ {
		if i > 0 {
			if err := c.Clock.Sleep(ctx, interval); err != nil {
				res.Status, res.Message = Error, fmt.Sprintf("stopped after %d samples: %v", i, err)
				return res
			}
		}
		out, err := c.sample(ctx, r, p.Command)
		res.Samples = i + 1
		if err != nil {
			res.Status, res.Message = Error, fmt.Sprintf("run %q: %v", p.Command, err)
			return res
		}
		obs := exp.eval(out)
		res.Observed, res.Value, res.Exit = obs.observed, obs.value, &out.exit
		if !obs.ok {
			res.Status, res.Message = Fail, obs.msg
			if i > 0 {
				res.Message = fmt.Sprintf("sample %d: %s", i+1, obs.msg)
			}
			return res
		}
		held := c.Clock.Now().Sub(start)
		if res.Samples >= p.Samples && held >= p.Hold.D() {
			res.Status = Pass
			if res.Samples > 1 {
				res.Message = fmt.Sprintf("held for %s (%d samples)", held.Round(time.Second), res.Samples)
			}
			return res
		}
	}
}

// output is what one run of a command showed.
type output struct {
	stdout, stderr string
	exit           int
}

func (c Checker) sample(ctx context.Context, r provision.Runner, cmd string) (output, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr Capped
	stdout.Max, stderr.Max = maxOutput, maxOutput
	exit, err := r.Run(ctx, cmd, nil, &stdout, &stderr)
	return output{stdout: stdout.String(), stderr: stderr.String(), exit: exit}, err
}

// expectation is a probe's Expect with its patterns compiled.
type expectation struct {
	exit      *int
	match     *regexp.Regexp
	value     *regexp.Regexp
	op        string
	threshold float64
}

func compile(e labfile.Expect) (expectation, error) {
	x := expectation{exit: e.Exit}
	var err error
	if e.Match != "" {
		if x.match, err = regexp.Compile(e.Match); err != nil {
			return x, fmt.Errorf("expect.match: %w", err)
		}
	}
	if v := e.Value; v != nil {
		if x.value, err = regexp.Compile(v.Pattern); err != nil {
			return x, fmt.Errorf("expect.value.pattern: %w", err)
		}
		if x.value.NumSubexp() < 1 {
			return x, fmt.Errorf("expect.value.pattern %q has no capture group", v.Pattern)
		}
		if _, ok := compare(0, v.Op, 0); !ok {
			return x, fmt.Errorf("expect.value.op %q is not one of %s", v.Op, strings.Join(labfile.ValueOps, " "))
		}
		x.op, x.threshold = v.Op, v.Threshold
	}
	if x.exit == nil && x.match == nil && x.value == nil {
		return x, fmt.Errorf("expect has none of exit, match, value")
	}
	return x, nil
}

// observation is one sample judged against an expectation.
type observation struct {
	ok       bool
	observed string
	value    *float64
	msg      string
}

// eval judges one sample. Patterns see stdout without its trailing
// newlines, so "^200$" matches the output "200\n".
func (x expectation) eval(out output) observation {
	text := strings.TrimRight(out.stdout, "\r\n")
	obs := observation{ok: true, observed: firstLine(text)}
	if x.match == nil && x.value == nil {
		obs.observed = fmt.Sprintf("exit %d", out.exit)
	}
	if x.exit != nil && out.exit != *x.exit {
		obs.ok = false
		obs.msg = fmt.Sprintf("exit status %d, want %d", out.exit, *x.exit)
		if e := firstLine(strings.TrimSpace(out.stderr)); e != "" {
			obs.msg += ": " + e
		}
		return obs
	}
	if x.match != nil && !x.match.MatchString(text) {
		obs.ok = false
		obs.msg = fmt.Sprintf("output %q does not match %q", obs.observed, x.match.String())
		return obs
	}
	if x.value != nil {
		x.evalValue(text, &obs)
	}
	return obs
}

func (x expectation) evalValue(text string, obs *observation) {
	m := x.value.FindStringSubmatch(text)
	if m == nil {
		obs.ok = false
		obs.msg = fmt.Sprintf("%q not found in output %q", x.value.String(), obs.observed)
		return
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(m[1]), 64)
	if err != nil {
		obs.ok = false
		obs.msg = fmt.Sprintf("%q is not a number", m[1])
		return
	}
	obs.value = &v
	obs.observed = strconv.FormatFloat(v, 'g', -1, 64)
	if ok, _ := compare(v, x.op, x.threshold); !ok {
		obs.ok = false
		obs.msg = fmt.Sprintf("%s is not %s %s", obs.observed, x.op, strconv.FormatFloat(x.threshold, 'g', -1, 64))
	}
}

// compare reports whether v op t holds; known is false for an unknown op.
func compare(v float64, op string, t float64) (holds, known bool) {
	switch op {
	case "<":
		return v < t, true
	case "<=":
		return v <= t, true
	case ">":
		return v > t, true
	case ">=":
		return v >= t, true
	case "==":
		return v == t, true
	case "!=":
		return v != t, true
	}
	return false, false
}

// firstLine returns s up to its first newline, cut to 80 characters.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}
