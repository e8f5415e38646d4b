package instance

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
)

// Conns dials each VM of an instance once and shares the connection among
// the callers, which is what a check with many probes wants.
type Conns struct {
	inst *Instance
	mu   sync.Mutex
	open map[string]*provision.SSH
}

// Conns returns a connection pool for the instance; Close it when done.
func (i *Instance) Conns() *Conns { return &Conns{inst: i, open: map[string]*provision.SSH{}} }

// Dial returns the shared connection to vm, dialing it the first time.
func (c *Conns) Dial(ctx context.Context, vm string) (provision.Runner, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.open[vm]; ok {
		return s, nil
	}
	s, err := c.inst.Dial(ctx, vm)
	if err != nil {
		return nil, err
	}
	c.open[vm] = s
	return s, nil
}

// Close closes every connection.
func (c *Conns) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.open {
		s.Close()
	}
	c.open = map[string]*provision.SSH{}
}

// Solve applies the lab's reference fix, step by step, printing step names
// to progress and the guests' output to verbose.
func (i *Instance) Solve(ctx context.Context, lab *labfile.Lab, progress, verbose io.Writer) error {
	if lab.Solution == nil || len(lab.Solution.Steps) == 0 {
		return fmt.Errorf("lab %s has no solution steps", lab.Name)
	}
	conns := i.Conns()
	defer conns.Close()
	if verbose == nil {
		verbose = io.Discard
	}
	for n, s := range lab.Solution.Steps {
		r, err := conns.Dial(ctx, s.VM)
		if err != nil {
			return err
		}
		fmt.Fprintf(progress, "  solution step %d in %s\n", n+1, s.VM)
		switch {
		case s.File != nil:
			err = provision.CopyFile(ctx, r, lab.Dir, *s.File, verbose)
		default:
			err = provision.RunScript(ctx, r, s.Run, verbose)
		}
		if err != nil {
			return fmt.Errorf("solution step %d in %s: %w", n+1, s.VM, err)
		}
	}
	return nil
}
