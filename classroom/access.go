package classroom

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
)

// How a trainee reaches their instance on a shared lab server, and only
// it: each trainee's SSH key is authorized on the account that owns the
// class (the trainer's, or one made for vlab) with a forced command,
//
//	restrict,pty,command="... vlab trainee <lab> <name>" ssh-ed25519 AAAA...
//
// so that sshd runs `vlab trainee` whatever the trainee asked for, with no
// forwarding of ports, agents or X11. `vlab trainee` reads the request
// from SSH_ORIGINAL_COMMAND and runs it only when TraineeArgs allows it:
// a trainee's verb, on their own instance, with a trainee's flags. Trainees
// get no shell on the server, no libvirt access and no key of an instance;
// the trainer keeps every command.

// traineeVerbs are what a trainee may run, each with the flags it takes.
var traineeVerbs = map[string][]string{
	"brief":   nil,
	"inject":  {"--list", "-l", "--yes", "-y"},
	"ssh":     nil,
	"check":   {"--json"},
	"reset":   nil,
	"debrief": {"--json"},
	"status":  {"--json"},
	"page":    nil, // their page, over this SSH session (vlab web --stdio)
}

// TraineeVerbs lists what a trainee may run, for help and refusals.
func TraineeVerbs() []string {
	vs := make([]string, 0, len(traineeVerbs))
	for v := range traineeVerbs {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return vs
}

// ErrNotForTrainees is wrapped by every refusal of TraineeArgs.
var ErrNotForTrainees = errors.New("not for trainees")

// MaxRequest bounds what a trainee may send: a command line, not a file.
const MaxRequest = 4096

// TraineeArgs turns a trainee's request (the words of their ssh command
// line) into the vlab arguments that run it on their own instance of lab,
// or refuses it. The verb comes first; the lab and the instance are
// vlab's, never the trainee's. `ssh [vm] [-- command...]` passes the
// command on to the trainee's VM, where they are root anyway.
func TraineeArgs(lab, instanceID, request string) ([]string, error) {
	if len(request) > MaxRequest {
		return nil, fmt.Errorf("%w: a request of %d bytes; at most %d", ErrNotForTrainees, len(request), MaxRequest)
	}
	if strings.ContainsAny(request, "\x00\r\n") {
		return nil, fmt.Errorf("%w: one command line, please", ErrNotForTrainees)
	}
	words := strings.Fields(request)
	if len(words) == 0 {
		words = []string{"brief"}
	}
	verb, rest := words[0], words[1:]
	allowed, ok := traineeVerbs[verb]
	if !ok {
		return nil, fmt.Errorf("%w: %q; you can run: %s", ErrNotForTrainees, verb, strings.Join(TraineeVerbs(), ", "))
	}
	args := []string{verb, lab, "--instance", instanceID}
	switch verb {
	case "brief", "page":
		if len(rest) > 0 {
			return nil, fmt.Errorf("%w: %s takes no arguments", ErrNotForTrainees, verb)
		}
		if verb == "page" {
			args = []string{"web", lab, "--instance", instanceID, "--stdio"}
		}
		return args, nil
	}
	var positional, passed []string
	for i, w := range rest {
		if verb == "ssh" && w == "--" {
			passed = rest[i:]
			break
		}
		if strings.HasPrefix(w, "-") {
			if !slices.Contains(allowed, w) {
				return nil, fmt.Errorf("%w: %s %s; a trainee's %s takes %s", ErrNotForTrainees, verb, w, verb, flagList(allowed))
			}
			args = append(args, w)
			continue
		}
		positional = append(positional, w)
	}
	max := map[string]int{"inject": 1, "ssh": 1}[verb]
	if len(positional) > max {
		return nil, fmt.Errorf("%w: %s takes %s", ErrNotForTrainees, verb, map[int]string{0: "no arguments", 1: "one argument"}[max])
	}
	args = append(args, positional...)
	return append(args, passed...), nil
}

// Request is a trainee's request that Admit let through.
type Request struct {
	// Instance is the trainee's own instance.
	Instance string
	// Args run the request there (TraineeArgs); Brief when Args[0] is
	// "brief".
	Args []string
}

// Admit is the gate of `vlab trainee`, the forced command of trainee
// name's key: their request (SSH_ORIGINAL_COMMAND), as a trainee of lab's
// class in home, turned into what runs it on their own instance, or
// refused. connectEnv is the session's VLAB_CONNECT: the host is the
// forced command's --connect or each instance's own, never the session's
// environment.
func Admit(home instance.Home, lab, name, request, connectEnv string) (Request, error) {
	if connectEnv != "" {
		return Request{}, fmt.Errorf("%w: VLAB_CONNECT in the session's environment", ErrNotForTrainees)
	}
	roster, err := LoadRoster(home, lab)
	if err != nil {
		return Request{}, err
	}
	i := slices.IndexFunc(roster.Trainees, func(t Trainee) bool { return t.Name == name })
	if i < 0 {
		return Request{}, fmt.Errorf("%s is not a trainee of the class of %s", name, lab)
	}
	id := roster.Trainees[i].Instance
	args, err := TraineeArgs(lab, id, request)
	if err != nil {
		return Request{}, err
	}
	return Request{Instance: id, Args: args}, nil
}

// CommandLine is the vlab command line that runs r: with the global flags
// of the forced command (the labs folder, and the libvirt host when
// connect is set), and none of the trainee's.
func (r Request) CommandLine(labs, connect string) []string {
	line := []string{"vlab", "--labs", labs}
	if connect != "" {
		line = append(line, "--connect", connect)
	}
	return append(line, r.Args...)
}

// ClearSettings unsets vlab's settings in this process's environment
// (VLAB_*, but VLAB_HOME, which the forced command sets), so that a
// trainee's request runs with none that an sshd's AcceptEnv let in.
func ClearSettings() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "VLAB_") && k != "VLAB_HOME" {
			os.Unsetenv(k)
		}
	}
}

// Brief is what a trainee reads without a request: the lab's briefing,
// their instance, what they may run and how to see their page.
func Brief(w io.Writer, lab *labfile.Lab, instanceID string) error {
	if err := incident.RenderBriefing(w, lab, incident.TerminalOptions(w)); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nYour instance is %s. Through this key you can run: %s\n(e.g. `ssh -t <this server> ssh`, `ssh <this server> inject`).\n"+
		"Your page, on your laptop: socat TCP-LISTEN:7070,bind=127.0.0.1,reuseaddr,fork EXEC:'ssh <this server> page', then http://127.0.0.1:7070/\n",
		instanceID, strings.Join(TraineeVerbs(), ", "))
	return err
}

func flagList(fs []string) string {
	if len(fs) == 0 {
		return "no flags"
	}
	return strings.Join(fs, ", ")
}

// PagePort is the port of the i-th trainee of the roster (from 0) when
// the class's pages start at base; 0 without pages.
func PagePort(base, i int) int {
	if base <= 0 {
		return 0
	}
	return base + i
}
