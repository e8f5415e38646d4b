package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/vlab-dev/vlab/classroom"
	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/internal/atomicfile"
	"github.com/vlab-dev/vlab/labfile"
)

// traineeCommand is what sshd runs, as the forced command of a trainee's
// key (`vlab class keys` writes them), whatever the trainee asked for: it
// runs their request, from SSH_ORIGINAL_COMMAND, only when it is a
// trainee's verb on their own instance (classroom.TraineeArgs).
func traineeCommand() *cli.Command {
	return &cli.Command{
		Name:      "trainee",
		Usage:     "run a trainee's request (SSH_ORIGINAL_COMMAND) on their own instance; the forced command of their key",
		ArgsUsage: "<lab> <trainee>",
		Hidden:    true,
		Action: func(c *cli.Context) error {
			if c.NArg() != 2 {
				return fmt.Errorf("trainee: usage: vlab trainee <lab> <trainee>, as the forced command of the trainee's key (`vlab class keys`)")
			}
			labName, name := c.Args().Get(0), c.Args().Get(1)
			// The host is the forced command's --connect or, without one,
			// each instance's own; never the session's environment.
			if os.Getenv("VLAB_CONNECT") != "" {
				return exitError{code: 2, err: fmt.Errorf("%w: VLAB_CONNECT in the session's environment", classroom.ErrNotForTrainees)}
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			roster, err := classroom.LoadRoster(e.home, labName)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(roster.Trainees, func(t classroom.Trainee) bool { return t.Name == name })
			if i < 0 {
				return fmt.Errorf("%s is not a trainee of the class of %s", name, labName)
			}
			request := os.Getenv("SSH_ORIGINAL_COMMAND")
			args, err := classroom.TraineeArgs(labName, roster.Trainees[i].Instance, request)
			if err != nil {
				return exitError{code: 2, err: err}
			}
			if args[0] == "brief" {
				lab, err := e.lab(labName)
				if err != nil {
					return err
				}
				if err := incident.RenderBriefing(e.stdout, lab, incident.TerminalOptions(e.stdout)); err != nil {
					return err
				}
				_, err = fmt.Fprintf(e.stdout, "\nYour instance is %s. Through this key you can run: %s\n(e.g. `ssh -t <this server> ssh`, `ssh <this server> inject`).\n"+
					"Your page, on your laptop: socat TCP-LISTEN:7070,bind=127.0.0.1,reuseaddr,fork EXEC:'ssh <this server> page', then http://127.0.0.1:7070/\n",
					roster.Trainees[i].Instance, strings.Join(classroom.TraineeVerbs(), ", "))
				return err
			}
			// The request runs as a command line of its own, with the
			// global flags of this one (the forced command names the labs
			// and the libvirt host) and none of the trainee's, nor any of
			// vlab's settings an sshd's AcceptEnv might have let in.
			full := []string{"vlab", "--labs", c.String("labs")}
			if c.IsSet("connect") {
				full = append(full, "--connect", c.String("connect"))
			}
			for _, kv := range os.Environ() {
				if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "VLAB_") && k != "VLAB_HOME" {
					os.Unsetenv(k)
				}
			}
			inner := newApp(c.App.Reader, c.App.Writer, c.App.ErrWriter, e.open)
			line, err := interspersed(inner, append(full, args...))
			if err != nil {
				return err
			}
			return inner.RunContext(c.Context, line)
		},
	}
}

// classKeysCommand writes the trainees' keys into authorized_keys, each
// allowed to run only `vlab trainee` for its trainee.
func classKeysCommand() *cli.Command {
	return &cli.Command{
		Name:  "keys",
		Usage: "let each trainee in, by their SSH key, to their own instance only (forced commands in authorized_keys)",
		Description: "Reads <trainee>.pub from --keys for each trainee of the class and prints one authorized_keys\n" +
			"line each: the key may run only `vlab trainee <lab> <trainee>`, with no forwarding. With --write,\n" +
			"merges them into that file (the class's own block; other lines are kept). docs/CLASSROOM.md.",
		ArgsUsage: "<lab> --keys DIR [--write FILE]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "keys", Required: true, Usage: "folder holding <trainee>.pub for each trainee"},
			&cli.StringFlag{Name: "write", Usage: "authorized_keys file to merge the lines into (e.g. ~/.ssh/authorized_keys)"},
			&cli.StringFlag{Name: "vlab", Usage: "the vlab binary sshd runs for them", DefaultText: "this one"},
		},
		Action: func(c *cli.Context) error {
			ref, err := oneArg(c, "lab")
			if err != nil {
				return err
			}
			e, err := newEnv(c)
			if err != nil {
				return err
			}
			lab := labfile.RefName(ref)
			roster, err := classroom.LoadRoster(e.home, lab)
			if err != nil {
				return err
			}
			command, err := forcedCommand(c, e)
			if err != nil {
				return err
			}
			var lines, missing []string
			for _, t := range roster.Trainees {
				key, err := os.ReadFile(classroom.KeyFile(c.String("keys"), t.Name))
				if errors.Is(err, fs.ErrNotExist) {
					missing = append(missing, t.Name)
					continue
				}
				if err != nil {
					return err
				}
				line, err := classroom.KeyLine(command, lab, t.Name, key)
				if err != nil {
					return fmt.Errorf("%s: %w", classroom.KeyFile(c.String("keys"), t.Name), err)
				}
				lines = append(lines, line)
			}
			if len(missing) > 0 {
				fmt.Fprintf(e.stderr, "no key for %s (want %s): they cannot log in\n", strings.Join(missing, ", "), classroom.KeyFile(c.String("keys"), "<trainee>"))
			}
			path := c.String("write")
			if path == "" {
				for _, l := range lines {
					fmt.Fprintln(e.stdout, l)
				}
				return nil
			}
			old, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			merged, err := classroom.MergeKeys(old, lab, lines)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if err := atomicfile.Write(path, merged, 0o600); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "%d trainee key(s) of class %s in %s\n", len(lines), lab, path)
			return nil
		},
	}
}

// forcedCommand is the start of a trainee key's forced command: this vlab
// binary with the home, labs and libvirt host of this command line, all
// absolute, so that it runs the same way from sshd.
func forcedCommand(c *cli.Context, e *env) (string, error) {
	exe := c.String("vlab")
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return "", err
		}
	}
	exe, err := filepath.Abs(exe)
	if err != nil {
		return "", err
	}
	home, err := filepath.Abs(e.home.Dir)
	if err != nil {
		return "", err
	}
	labs, err := filepath.Abs(c.String("labs"))
	if err != nil {
		return "", err
	}
	parts := []string{"env", "VLAB_HOME=" + home, exe, "--labs", labs}
	// Each instance records its host; a --connect here would refuse the
	// trainees of a class spread over several (class up --hosts).
	if c.IsSet("connect") {
		parts = append(parts, "--connect", c.String("connect"))
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t'\"\\$`;&|<>(){}*?[]#~\n\r") {
			return "", fmt.Errorf("the forced command would hold %q: a path with spaces or shell characters; move it", p)
		}
	}
	return strings.Join(parts, " "), nil
}
