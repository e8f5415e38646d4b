package incident

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// OnInstance opens the trainee's incident on a lab instance: the lab it
// runs, its journal, and SSH connections into its VMs, kept for reuse
// until Close.
func OnInstance(inst *instance.Instance) (*Session, error) {
	lab, err := inst.Lab()
	if err != nil {
		return nil, err
	}
	j, err := Open(inst.Dir)
	if err != nil {
		return nil, err
	}
	conns := inst.Conns()
	return &Session{Lab: lab, Journal: j, Dial: conns.Dial, done: func() { conns.Close(); j.Close() }}, nil
}

// Close closes what OnInstance opened.
func (s *Session) Close() {
	if s.done != nil {
		s.done()
		s.done = nil
	}
}

// StartAttempt records in the journal of the instance in dir that `up` or
// `reset` (by) gave the trainee a fresh lab.
func StartAttempt(dir, by string) error {
	j, err := Open(dir)
	if err != nil {
		return err
	}
	defer j.Close()
	s := Session{Journal: j}
	return s.StartAttempt(by)
}

// Up brings lab's instance opt.ID up with m (instance.Manager.Up) and
// starts the trainee's first attempt on it: what `vlab up` does.
func Up(ctx context.Context, m *instance.Manager, lab *labfile.Lab, opt instance.UpOptions) (*instance.Instance, error) {
	inst, err := m.Up(ctx, lab, opt)
	if err != nil {
		return nil, err
	}
	return inst, StartAttempt(inst.Dir, "up")
}

// Reset returns instance id to its golden state with m
// (instance.Manager.Reset) and starts a new attempt: what `vlab reset`
// does.
func Reset(ctx context.Context, m *instance.Manager, id string) (*instance.Instance, error) {
	inst, err := m.Reset(ctx, id)
	if err != nil {
		return nil, err
	}
	return inst, StartAttempt(inst.Dir, "reset")
}

// TerminalOptions are the render options for w: colour (unless NO_COLOR
// is set) and its width, up to 100 columns, when w is a terminal; plain
// text 80 columns wide otherwise.
func TerminalOptions(w io.Writer) RenderOptions {
	o := RenderOptions{Width: 80}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		o.Color = os.Getenv("NO_COLOR") == ""
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 20 {
			o.Width = min(w, 100)
		}
	}
	return o
}

// RenderSolution writes, for the trainer, the lab's cause and notes (its
// trainer section) and its reference fix: the fix's summary, then each
// step with the VM it runs in.
func RenderSolution(w io.Writer, lab *labfile.Lab, o RenderOptions) error {
	if lab.Solution == nil && lab.Trainer == nil {
		return fmt.Errorf("lab %s has no solution", lab.Name)
	}
	if err := renderTrainer(w, lab, o); err != nil {
		return err
	}
	if lab.Solution == nil {
		_, err := fmt.Fprintln(w, "The lab has no reference fix.")
		return err
	}
	if lab.Trainer != nil {
		fmt.Fprintln(w, o.style(ansiBold, "The fix on the day:"))
	}
	if err := Markdown(w, lab.Solution.Summary, o); err != nil {
		return err
	}
	for i, st := range lab.Solution.Steps {
		fmt.Fprintf(w, "\nstep %d, in %s:\n", i+1, st.VM)
		if st.File != nil {
			fmt.Fprintf(w, "  copy %s to %s\n", termtext.Line(st.File.Src), termtext.Line(st.File.Dest))
		} else {
			run := termtext.Text(strings.TrimSpace(st.Run))
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(run, "\n", "\n  "))
		}
	}
	return nil
}
