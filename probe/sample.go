package probe

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// maxOutput bounds what is kept of a command's stdout and stderr.
const maxOutput = 64 << 10

// defaultInterval is used when a probe comes without one (labfile.Load fills it).
const defaultInterval = 2 * time.Second

// sampler takes the samples of one probe: a lab's command and its
// expectation, or a typed probe's fixed command and judgement.
type sampler interface {
	// take runs one sample in g. An error means the sample could not be
	// taken (connection lost, a tool missing, an answer it cannot read);
	// it says nothing about the incident.
	take(ctx context.Context, g guest) (observation, error)
	// want says in a few words what passes.
	want() string
}

// observation is one sample judged against what the probe expects.
type observation struct {
	ok       bool
	observed string
	value    *float64
	exit     *int
	msg      string
}

// guest runs commands in the probe's VM over its connection.
type guest struct {
	c  Checker
	r  provision.Runner
	vm string
}

// run samples p until it has run Samples times and held for Hold, stopping
// at the first sample that fails or cannot run.
func (c Checker) run(ctx context.Context, r provision.Runner, p labfile.Probe) (res Result) {
	res = newResult(p)
	s, err := newSampler(p)
	if err != nil {
		res.Status, res.Message = Error, err.Error()
		return res
	}
	res.Expected = s.want()
	interval := p.Interval.D()
	if interval <= 0 {
		interval = defaultInterval
	}
	g := guest{c: c, r: r, vm: p.VM}
	start := c.Clock.Now()
	defer func() { res.Seconds = c.Clock.Now().Sub(start).Seconds() }()
	for i := 0; ; i++ {
		if i > 0 {
			if err := c.Clock.Sleep(ctx, interval); err != nil {
				res.Status, res.Message = Error, fmt.Sprintf("stopped after %d samples: %v", i, err)
				return res
			}
		}
		obs, err := s.take(ctx, g)
		res.Samples = i + 1
		if err != nil {
			res.Status, res.Message = Error, err.Error()
			return res
		}
		res.Observed, res.Value, res.Exit = obs.observed, obs.value, obs.exit
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

// exec runs cmd in the guest with stdin, within the checker's timeout.
func (g guest) exec(ctx context.Context, cmd, stdin string) (output, error) {
	timeout := g.c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var stdout, stderr Capped
	stdout.Max, stderr.Max = maxOutput, maxOutput
	var in io.Reader
	if stdin != "" {
		in = strings.NewReader(stdin)
	}
	exit, err := g.r.Run(ctx, cmd, in, &stdout, &stderr)
	return output{stdout: stdout.String(), stderr: stderr.String(), exit: exit}, err
}
