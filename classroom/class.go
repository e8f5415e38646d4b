package classroom

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/termtext"
)

// Class acts on the instances of a lab's trainees.
type Class struct {
	// Settings are those of the command; each trainee's instance gets a
	// Manager of its own from them. Their Progress carries the first
	// instance's steps, each line led by the trainee's name.
	Settings instance.Settings
	// Log gets one line per trainee as each is done.
	Log io.Writer
	// Parallel bounds the instances worked on at once; 0 is
	// DefaultParallel (for a lab of one VM where the verb does not load
	// the lab).
	Parallel int

	mu sync.Mutex // one Log line at a time
}

// DefaultParallel is how many instances of a lab with vms VMs are brought
// up at once on a host with cpus CPUs: under TCG each VM's restore keeps a
// CPU busy, so one instance per vms CPUs, at least one.
func DefaultParallel(cpus, vms int) int {
	return max(1, cpus/max(1, vms))
}

func (c *Class) parallel(vms int) int {
	if c.Parallel > 0 {
		return c.Parallel
	}
	return DefaultParallel(runtime.NumCPU(), vms)
}

// result is one trainee's outcome: a line to show, or an error.
type result struct {
	t   Trainee
	msg string
	err error
}

// line writes one trainee's outcome to Log as it comes.
func (c *Class) line(r result) {
	if c.Log == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.err != nil {
		fmt.Fprintf(c.Log, "✗ %s: %s\n", r.t.Name, termtext.Line(r.err.Error()))
		return
	}
	fmt.Fprintf(c.Log, "✓ %s: %s\n", r.t.Name, r.msg)
}

// each runs fn for every trainee, limit at a time, writing a line for
// each as it ends; it returns every outcome in the trainees' order.
func (c *Class) each(ctx context.Context, ts []Trainee, limit int, fn func(context.Context, Trainee) (string, error)) []result {
	out := make([]result, len(ts))
	sem := make(chan struct{}, max(1, limit))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				msg, err := fn(ctx, t)
				out[i] = result{t: t, msg: msg, err: err}
			case <-ctx.Done():
				out[i] = result{t: t, err: fmt.Errorf("not started: %w", ctx.Err())}
			}
			c.line(out[i])
		}()
	}
	wg.Wait()
	return out
}

// failed is the error of a verb some trainees' instances failed, naming
// them; nil when none did. The lines above it said why.
func failed(verb, lab string, rs []result) error {
	var names []string
	for _, r := range rs {
		if r.err != nil {
			names = append(names, r.t.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("class %s: %s failed for %d of %d trainees (%s); see the ✗ lines above", lab, verb, len(names), len(rs), strings.Join(names, ", "))
}

// prefixed writes each whole line to w led by prefix, one Write per line,
// so that lines of instances working at once do not mix.
type prefixed struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixed) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}

// settingsFor are the settings of trainee t's instance: its steps go to
// progress (nil: nowhere), each line led by the trainee's name.
func (c *Class) settingsFor(t Trainee, progress io.Writer) instance.Settings {
	s := c.Settings
	s.Progress = io.Discard
	if progress != nil {
		s.Progress = &prefixed{mu: &c.mu, w: progress, prefix: t.Name + ": "}
	}
	return s
}

// elapsed is a short duration for a trainee's line.
func elapsed(start time.Time) string {
	return fmt.Sprintf("%.0fs", time.Since(start).Seconds())
}
