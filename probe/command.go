package probe

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vlab-dev/vlab/labfile"
)

// command is a probe running the lab's own command.
type command struct {
	cmd string
	exp expectation
}

func (c command) take(ctx context.Context, g guest) (observation, error) {
	out, err := g.exec(ctx, c.cmd, "")
	if err != nil {
		return observation{}, fmt.Errorf("run %q: %v", c.cmd, err)
	}
	obs := c.exp.eval(out)
	obs.exit = &out.exit
	return obs, nil
}

// want describes the expectation: "exit 0, matches ^200$, < 0.01".
func (c command) want() string {
	var parts []string
	if c.exp.exit != nil {
		parts = append(parts, fmt.Sprintf("exit %d", *c.exp.exit))
	}
	if c.exp.match != nil {
		parts = append(parts, "matches "+c.exp.match.String())
	}
	if c.exp.value != nil {
		parts = append(parts, c.exp.op+" "+strconv.FormatFloat(c.exp.threshold, 'g', -1, 64))
	}
	return strings.Join(parts, ", ")
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
