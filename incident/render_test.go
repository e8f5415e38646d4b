package incident

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
)

func TestMarkdownPlain(t *testing.T) {
	md := "# Nginx is down\n\n" +
		"The **error rate** climbed after the `deploy` at 14:02, see [the graph](https://graphs.example/5xx) and more words to wrap.\n\n" +
		"## Steps\n" +
		"- first step that is long enough to need wrapping onto a second line\n" +
		"  continued here\n" +
		"* second\n" +
		"1. numbered\n\n" +
		"```\n" +
		"2024/03/05 14:02:11 [error] 123#0: *1 upstream timed out (110: Connection timed out) while reading\n" +
		"```\n" +
		"> quoted from chat\n" +
		"---\n" +
		"\x1b[31mred\x1b[0m\n"
	var b strings.Builder
	if err := Markdown(&b, md, RenderOptions{Width: 40}); err != nil {
		t.Fatal(err)
	}
	want := `Nginx is down
=============

The error rate climbed after the
` + "`deploy`" + ` at 14:02, see the graph
<https://graphs.example/5xx> and more
words to wrap.

Steps
-----

  - first step that is long enough to
    need wrapping onto a second line
    continued here
  - second
  1. numbered

    2024/03/05 14:02:11 [error] 123#0: *1 upstream timed out (110: Connection timed out) while reading
│ quoted from chat
────────────────────────────────────────
red
`
	if got := b.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if visibleWidth(line) > 40 && !strings.HasPrefix(line, "    2024") && !strings.HasPrefix(line, "<https") {
			t.Errorf("line wider than 40: %q", line)
		}
	}
}

func TestMarkdownColor(t *testing.T) {
	var b strings.Builder
	Markdown(&b, "# Title\n\nsome **bold** and `code`\n", RenderOptions{Color: true})
	want := "\x1b[1mTitle\x1b[0m\n\nsome \x1b[1mbold\x1b[0m and \x1b[36mcode\x1b[0m\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	Markdown(&b, "# Title\n\nsome **bold**\n", RenderOptions{})
	if strings.Contains(b.String(), "\x1b") {
		t.Errorf("colour without asking: %q", b.String())
	}
}

func TestWrapLongWord(t *testing.T) {
	got := wrap("see https://a-very-long-url.example/with/a/path for more", 20, "", "")
	want := []string{"see", "https://a-very-long-url.example/with/a/path", "for more"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
}

func TestRender(t *testing.T) {
	in := labfile.Inject{ID: "tail", Kind: "log", At: labfile.Duration(4 * time.Minute), Title: "Error log", Body: "What the log says:", Guessed: true}
	sh := Shown{N: 2, Of: 5, Inject: in, Since: 7*time.Minute + 12*time.Second, Attachment: "/tmp/x/tail-graph.png",
		Live: &Live{VM: "web", Command: "tail -n 2 error.log", Output: "line one\nline two\n", Exit: 1}}
	var b strings.Builder
	if err := Render(&b, sh, RenderOptions{Width: 60}); err != nil {
		t.Fatal(err)
	}
	want := `[2/5] LOG?  Error log
at 4m in the incident, revealed 7m12s into your attempt

What the log says:

Attached: /tmp/x/tail-graph.png

Live from web: $ tail -n 2 error.log
    line one
    line two
    (exit status 1)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	sh.Live = &Live{VM: "web", Command: "uptime", Err: "connect to web: refused"}
	b.Reset()
	Render(&b, sh, RenderOptions{})
	if !strings.Contains(b.String(), "    (live output unavailable: connect to web: refused)\n") {
		t.Errorf("no note of the live failure:\n%s", b.String())
	}
}

func TestRenderList(t *testing.T) {
	var b strings.Builder
	RenderList(&b, []Shown{{N: 1, Of: 3, Inject: labfile.Inject{ID: "alert", Kind: "alert", Title: "5xx"}, Since: 30 * time.Second}})
	want := "#    KIND   ID     INCIDENT  YOU  TITLE\n1/3  alert  alert  0s        30s  5xx\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestShort(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 4 * time.Minute: "4m", 80 * time.Minute: "1h20m", 2 * time.Hour: "2h",
		7*time.Minute + 12*time.Second: "7m12s", 1500 * time.Millisecond: "2s",
	} {
		if got := Short(d); got != want {
			t.Errorf("Short(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestViewerCommand(t *testing.T) {
	found := func(string) (string, error) { return "/usr/bin/xdg-open", nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	if cmd := viewerCommand(env(nil), found, "/tmp/a.png"); cmd != nil {
		t.Error("viewer started without a display")
	}
	if cmd := viewerCommand(env(map[string]string{"DISPLAY": ":0"}), missing, "/tmp/a.png"); cmd != nil {
		t.Error("viewer started without xdg-open")
	}
	cmd := viewerCommand(env(map[string]string{"WAYLAND_DISPLAY": "wayland-0"}), found, "/tmp/a.png")
	if cmd == nil || strings.Join(cmd.Args, " ") != "/usr/bin/xdg-open /tmp/a.png" {
		t.Errorf("got %v", cmd)
	}
}
