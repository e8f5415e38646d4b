package main

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
)

// confirm asks on the terminal whether to reveal an answer-giving inject.
func (e *env) confirm(c *cli.Context, in labfile.Inject) bool {
	if c.Bool("yes") {
		return true
	}
	fmt.Fprintf(e.stderr, "The next inject (%s: %q) gives away the answer. Reveal it? [y/N] ", in.Kind, in.Title)
	line, _ := bufio.NewReader(c.App.Reader).ReadString('\n')
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y")
}

func injectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inject",
		Usage:     "reveal the next inject of the incident, list them, or show one again",
		ArgsUsage: "<lab> [N or id]",
		Flags: []cli.Flag{instanceFlag,
			&cli.BoolFlag{Name: "list", Aliases: []string{"l"}, Usage: "list the injects revealed so far"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "reveal cause and fix injects without asking"},
		},
		Action: inSession(func(c *cli.Context, e *env, s *incident.Session, _ *instance.Instance) error {
			if c.Bool("list") {
				list, err := s.List()
				if err != nil {
					return err
				}
				return incident.RenderList(e.stdout, list)
			}
			var sh incident.Shown
			var err error
			if ref := c.Args().Get(1); ref != "" {
				sh, err = s.Show(c.Context, ref)
			} else {
				sh, err = s.NextAsking(c.Context, func(in labfile.Inject) bool { return e.confirm(c, in) })
			}
			switch {
			case errors.Is(err, incident.ErrDeclined):
				return exitError{code: 1, err: err}
			case errors.Is(err, incident.ErrAllRevealed):
				fmt.Fprintln(e.stderr, "every inject is revealed; `vlab inject --list` shows them, `vlab check` tells if you fixed it")
				return nil
			case err != nil:
				return err
			}
			return e.show(sh)
		}),
	}
}

func (e *env) show(sh incident.Shown) error {
	if err := incident.Render(e.stdout, sh, incident.TerminalOptions(e.stdout)); err != nil {
		return err
	}
	if sh.Attachment != "" && incident.OpenViewer(sh.Attachment) {
		fmt.Fprintf(e.stderr, "opened %s\n", termtext.Line(sh.Attachment))
	}
	return nil
}

func playCommand() *cli.Command {
	return &cli.Command{
		Name:      "play",
		Usage:     "reveal the injects on their own as the incident's timeline runs",
		ArgsUsage: "<lab>",
		Flags: []cli.Flag{instanceFlag,
			&cli.Float64Flag{Name: "speed", Value: 1, Usage: "how much faster than the real incident"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "reveal cause and fix injects without asking"},
		},
		Action: inSession(func(c *cli.Context, e *env, s *incident.Session, _ *instance.Instance) error {
			return s.Play(c.Context, incident.PlayOptions{Speed: c.Float64("speed"),
				Confirm: func(in labfile.Inject) bool { return e.confirm(c, in) }, Show: e.show})
		}),
	}
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "run the lab's probes: exit 0 resolved, 1 not resolved, 2 error",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{instanceFlag, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: inSession(func(c *cli.Context, e *env, s *incident.Session, _ *instance.Instance) error {
			r, err := s.Check(c.Context)
			if err != nil {
				return err
			}
			if err := e.printResult(c, r, r.WriteText); err != nil {
				return err
			}
			switch code := r.ExitCode(); code {
			case 0:
				return nil
			case 2:
				return exitError{code: code, err: fmt.Errorf("check could not run: %w", r.Err())}
			default:
				return exitError{code: code}
			}
		}),
	}
}

func debriefCommand() *cli.Command {
	return &cli.Command{
		Name:      "debrief",
		Usage:     "per attempt: time to resolve, injects used, checks, beside the real timeline",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{instanceFlag, &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
		Action: inSession(func(c *cli.Context, e *env, s *incident.Session, _ *instance.Instance) error {
			d, err := s.Debrief()
			if err != nil {
				return err
			}
			return e.printResult(c, d, d.WriteText)
		}),
	}
}

func solveCommand() *cli.Command {
	return &cli.Command{
		Name:      "solve",
		Usage:     "apply the lab's reference fix (for trainers and tests)",
		ArgsUsage: "<lab>",
		Flags:     []cli.Flag{instanceFlag},
		Action: inSession(func(c *cli.Context, e *env, s *incident.Session, inst *instance.Instance) error {
			if err := inst.Solve(c.Context, s.Lab, e.stderr, e.verbose()); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "reference fix applied; `vlab check %s` should pass\n", inst.State.ID)
			return s.RecordSolve()
		}),
	}
}

func solutionCommand() *cli.Command {
	return &cli.Command{
		Name:      "solution",
		Usage:     "show the lab's cause and reference fix (for trainers)",
		ArgsUsage: "<lab>",
		Action: onLab(func(e *env, lab *labfile.Lab) error {
			return incident.RenderSolution(e.stdout, lab, incident.TerminalOptions(e.stdout))
		}),
	}
}

// inSession wraps the action of a command on a trainee's incident: the
// instance, its lab, its journal and connections, closed after.
func inSession(fn func(c *cli.Context, e *env, s *incident.Session, inst *instance.Instance) error) cli.ActionFunc {
	return onInstance(func(c *cli.Context, e *env, m *instance.Manager, _, id string) error {
		inst, err := m.Open(id)
		if err != nil {
			return err
		}
		s, err := incident.OnInstance(inst)
		if err != nil {
			return err
		}
		defer s.Close()
		return fn(c, e, s, inst)
	})
}
