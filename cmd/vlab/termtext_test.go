package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// osc52 asks the terminal to put "echo pwned" in the clipboard.
const osc52 = "\x1b]52;c;ZWNobyBwd25lZAo=\x07"

// hostileLab is a lab whose texts carry escape sequences.
const hostileLab = "name: evil\ntitle: \"Checkout down" + `\x1b]52;c;ZWNobyBwd25lZAo=\x07` + "\"\n" +
	"vms:\n  - name: web\n    image: debian-12\n" +
	"solution:\n  summary: \"restart it" + `\x1b[2J` + "\"\n  steps:\n" +
	"    - vm: web\n      run: \"systemctl restart nginx" + `\x1b]52;c;ZWNobyBwd25lZAo=\x07` + "\"\n" +
	"    - vm: web\n      file: {src: \"files/a" + `\x1b[8m` + "\", dest: \"/etc/b" + `\x1b]0;x\x07` + "\"}\n"

func noEscapes(t *testing.T, what, out string) {
	t.Helper()
	if strings.ContainsAny(out, "\x1b\x07\u009b\u009d") {
		t.Errorf("%s keeps escape sequences: %q", what, out)
	}
}

// TestLabTextSanitised: text from a lab reaches the terminal without its
// escape sequences, through the real CLI.
func TestLabTextSanitised(t *testing.T) {
	home, labs := t.TempDir(), t.TempDir()
	writeLab(t, labs, "evil", hostileLab)
	if err := os.MkdirAll(filepath.Join(labs, "evil", "files"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(labs, "evil", "files", "a\x1b[8m"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	writeLab(t, labs, "missing", strings.Replace(hostileLab, "name: evil", "name: missing", 1))
	writeLab(t, labs, "broken", "name: broken\ntitle: x\nvms:\n  - name: web\n    memory: \"a"+`\x1b]52;c;AAAA\x07`+"\"\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--labs", labs, "labs"}, "Checkout down"},
		{[]string{"--labs", labs, "solution", "evil"}, "systemctl restart nginx"},
		{[]string{"--labs", labs, "solution", "missing"}, "solution.steps[1].file.src"},
		{[]string{"--labs", labs, "validate", "broken", "missing"}, "file.src"},
		{[]string{"--labs", labs, "up", "broken"}, "memory"},
	} {
		t.Run(strings.Join(tt.args[2:], " "), func(t *testing.T) {
			_, out, errOut := runVlab(t, home, tt.args...)
			noEscapes(t, "stdout", out)
			noEscapes(t, "stderr", errOut)
			if !strings.Contains(out+errOut, tt.want) {
				t.Errorf("output lacks %q: %q %q", tt.want, out, errOut)
			}
		})
	}
}

// TestVerboseGuestOutputCleaned: with --verbose, what guests print reaches
// the terminal without escape sequences (an OSC 52 would write the user's
// clipboard).
func TestVerboseGuestOutputCleaned(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, stdout, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		io.WriteString(stdout, "\x1b]52;c;cHduZWQ=\x07guest says hi\n")
		return 0
	})
	code, _, errOut := f.run(t, "--verbose", "up", "hello")
	if code != 0 || !strings.Contains(errOut, "guest says hi") {
		t.Fatalf("up --verbose: exit %d\n%s", code, errOut)
	}
	if strings.ContainsAny(errOut, "\x1b\x07") {
		t.Errorf("guest output reached the terminal raw: %q", errOut)
	}
}

// TestUpProgressCleaned: `vlab up`'s progress lines name each step by its
// name or the first line of its run:, text from the lab, without the
// lab's escape sequences.
func TestUpProgressCleaned(t *testing.T) {
	f := newFakeCLI(t, func(_ context.Context, _, _ string, stdin io.Reader, _, _ io.Writer) int {
		io.Copy(io.Discard, stdin)
		return 0
	})
	labs := t.TempDir()
	writeLab(t, labs, "evil", "name: evil\ntitle: t\nvms:\n  - name: web\n    image: debian-12\n    provision:\n"+
		"      - run: \"true # "+`\x1b]52;c;cHduZWQ=\x07`+"\"\n"+
		"      - name: \"step"+`\x1b]0;title\x07`+"\"\n        run: \"true\"\n")
	code, out, errOut := f.run(t, "--labs", labs, "up", "evil")
	if code != 0 || !strings.Contains(errOut, "  run true # ... ok") || !strings.Contains(errOut, "  run step ... ok") {
		t.Fatalf("up: exit %d\n%s", code, errOut)
	}
	noEscapes(t, "stdout", out)
	noEscapes(t, "stderr", errOut)
}
