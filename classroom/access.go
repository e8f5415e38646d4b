package classroom

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
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

func flagList(fs []string) string {
	if len(fs) == 0 {
		return "no flags"
	}
	return strings.Join(fs, ", ")
}

// KeyLine is one trainee's line of authorized_keys: their key, allowed
// only to run `vlab trainee` for them. command is the forced command's
// start, the vlab binary and its global flags; lab and trainee are
// appended, both checked names. The key forwards nothing: OpenSSH's
// permitopen limits TCP forwarding only, and a key allowed to forward
// could reach the server's Unix sockets (libvirt's among them).
func KeyLine(command, lab, trainee string, key []byte) (string, error) {
	if _, err := InstanceID(lab, trainee); err != nil {
		return "", err
	}
	if strings.ContainsAny(command, "\"\\\n\r\x00") {
		return "", fmt.Errorf("the forced command %q holds a quote, backslash or line end", command)
	}
	pub, comment, options, rest, err := ssh.ParseAuthorizedKey(key)
	if err != nil {
		return "", fmt.Errorf("%s's key: %w", trainee, err)
	}
	if len(options) > 0 || len(bytes.TrimSpace(rest)) > 0 {
		return "", fmt.Errorf("%s's key: want one public key line with no options", trainee)
	}
	line := fmt.Sprintf(`restrict,pty,command="%s trainee %s %s" %s`, command, lab, trainee,
		strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))))
	if c := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, comment); c != "" {
		line += " " + c
	}
	return line, nil
}

// blockMarks delimit the lines vlab manages for a class in an
// authorized_keys file; everything outside them is left as it is.
func blockMarks(lab string) (begin, end string) {
	return "# vlab class " + lab + ": trainees' keys (vlab class keys rewrites this block)", "# vlab class " + lab + ": end"
}

// MergeKeys returns an authorized_keys file's content with the class's
// block replaced by lines (appended when the file has none; removed when
// lines is empty).
func MergeKeys(existing []byte, lab string, lines []string) ([]byte, error) {
	begin, end := blockMarks(lab)
	var out []string
	in := false
	var old []string
	if text := strings.TrimRight(string(existing), "\n"); text != "" {
		old = strings.Split(text, "\n")
	}
	for _, l := range old {
		switch {
		case l == begin:
			if in {
				return nil, fmt.Errorf("%q twice without %q", begin, end)
			}
			in = true
		case l == end:
			if !in {
				return nil, fmt.Errorf("%q without %q before it", end, begin)
			}
			in = false
		case !in:
			out = append(out, l)
		}
	}
	if in {
		return nil, fmt.Errorf("%q is not closed by %q", begin, end)
	}
	if len(lines) > 0 {
		out = append(out, begin)
		out = append(out, lines...)
		out = append(out, end)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return []byte(strings.Join(out, "\n") + "\n"), nil
}

// PagePort is the port of the i-th trainee of the roster (from 0) when
// the class's pages start at base; 0 without pages.
func PagePort(base, i int) int {
	if base <= 0 {
		return 0
	}
	return base + i
}

// KeyFile is where a trainee's public key is looked for in a keys folder.
func KeyFile(dir, trainee string) string { return filepath.Join(dir, trainee+".pub") }
