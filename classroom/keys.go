package classroom

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/internal/atomicfile"
)

// KeysOptions configure AuthorizeKeys.
type KeysOptions struct {
	// Dir holds <trainee>.pub for each trainee (KeyFile).
	Dir string
	// Write is the authorized_keys file to merge the lines into; empty
	// prints them to Out instead.
	Write string
	// Vlab is the vlab binary sshd runs for the trainees; empty: this one.
	Vlab string
	// Labs is the labs folder the forced command names.
	Labs string
	// Connect, when set, is the libvirt URI the forced command names;
	// empty leaves each instance on the host it records.
	Connect string
	Out     io.Writer
	Log     io.Writer // which trainees have no key; where the lines went
}

// AuthorizeKeys is `vlab class keys`: one authorized_keys line for each
// trainee of lab's class in home whose key is in opts.Dir, allowed only to
// run `vlab trainee` for them (KeyLine), printed to Out or merged into
// opts.Write (the class's own block; other lines are kept).
func AuthorizeKeys(home instance.Home, lab string, opts KeysOptions) error {
	roster, err := LoadRoster(home, lab)
	if err != nil {
		return err
	}
	command, err := forcedCommand(home, opts)
	if err != nil {
		return err
	}
	var lines, missing []string
	for _, t := range roster.Trainees {
		key, err := os.ReadFile(KeyFile(opts.Dir, t.Name))
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, t.Name)
			continue
		}
		if err != nil {
			return err
		}
		line, err := KeyLine(command, lab, t.Name, key)
		if err != nil {
			return fmt.Errorf("%s: %w", KeyFile(opts.Dir, t.Name), err)
		}
		lines = append(lines, line)
	}
	if len(missing) > 0 {
		fmt.Fprintf(opts.Log, "no key for %s (want %s): they cannot log in\n", strings.Join(missing, ", "), KeyFile(opts.Dir, "<trainee>"))
	}
	if opts.Write == "" {
		for _, l := range lines {
			fmt.Fprintln(opts.Out, l)
		}
		return nil
	}
	if err := writeKeys(opts.Write, lab, lines); err != nil {
		return err
	}
	fmt.Fprintf(opts.Log, "%d trainee key(s) of class %s in %s\n", len(lines), lab, opts.Write)
	return nil
}

// writeKeys merges lines into the class's block of the authorized_keys
// file at path, whole or not at all.
func writeKeys(path, lab string, lines []string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	merged, err := MergeKeys(old, lab, lines)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, merged, 0o600)
}

// forcedCommand is the start of a trainee key's forced command: the vlab
// binary with the home, labs and libvirt host of opts, all absolute, so
// that it runs the same way from sshd. A word sshd's shell would read as
// more than a word is refused.
func forcedCommand(home instance.Home, opts KeysOptions) (string, error) {
	exe := opts.Vlab
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
	dir, err := filepath.Abs(home.Dir)
	if err != nil {
		return "", err
	}
	labs, err := filepath.Abs(opts.Labs)
	if err != nil {
		return "", err
	}
	parts := []string{"env", "VLAB_HOME=" + dir, exe, "--labs", labs}
	// Each instance records its host; a --connect here would refuse the
	// trainees of a class spread over several (class up --hosts).
	if opts.Connect != "" {
		parts = append(parts, "--connect", opts.Connect)
	}
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, " \t'\"\\$`;&|<>(){}*?[]#~\n\r") {
			return "", fmt.Errorf("the forced command would hold %q: a path with spaces or shell characters; move it", p)
		}
	}
	return strings.Join(parts, " "), nil
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

// KeyFile is where a trainee's public key is looked for in a keys folder.
func KeyFile(dir, trainee string) string { return filepath.Join(dir, trainee+".pub") }
