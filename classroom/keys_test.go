package classroom

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/provision"
)

func TestKeyLine(t *testing.T) {
	_, pub, err := provision.NewKey("alice@laptop")
	if err != nil {
		t.Fatal(err)
	}
	line, err := KeyLine("env VLAB_HOME=/srv/vlab /usr/local/bin/vlab --labs /srv/labs", "hello", "alice", pub)
	if err != nil {
		t.Fatal(err)
	}
	want := `restrict,pty,command="env VLAB_HOME=/srv/vlab /usr/local/bin/vlab --labs /srv/labs trainee hello alice" ssh-ed25519 `
	if !strings.HasPrefix(line, want) || !strings.HasSuffix(line, " alice@laptop") || strings.Contains(line, "\n") {
		t.Errorf("line %q", line)
	}
	for _, bad := range []struct{ command, trainee, key string }{
		{`vlab" ,agent-forwarding`, "alice", string(pub)},
		{"vlab", "Alice;x", string(pub)},
		{"vlab", "alice", "no key"},
		{"vlab", "alice", `command="sh" ` + string(pub)},
		{"vlab", "alice", string(pub) + string(pub)},
	} {
		if l, err := KeyLine(bad.command, "hello", bad.trainee, []byte(bad.key)); err == nil {
			t.Errorf("%q %q %q: accepted as %q", bad.command, bad.trainee, bad.key, l)
		}
	}
}

func TestMergeKeys(t *testing.T) {
	mine := "ssh-ed25519 AAAAmine trainer\n\n# a comment of mine\n"
	one, err := MergeKeys([]byte(mine), "hello", []string{"line-a", "line-b"})
	if err != nil {
		t.Fatal(err)
	}
	two, err := MergeKeys(one, "hello", []string{"line-c"})
	if err != nil {
		t.Fatal(err)
	}
	begin, end := blockMarks("hello")
	if want := mine + begin + "\nline-c\n" + end + "\n"; string(two) != want {
		t.Errorf("merged twice:\n%s\nwant\n%s", two, want)
	}
	other, _ := MergeKeys(two, "web", []string{"line-w"})
	if !strings.Contains(string(other), "line-c") || !strings.Contains(string(other), "line-w") {
		t.Errorf("two classes' blocks:\n%s", other)
	}
	gone, _ := MergeKeys(two, "hello", nil)
	if string(gone) != mine {
		t.Errorf("block removed:\n%q\nwant\n%q", gone, mine)
	}
	if _, err := MergeKeys([]byte(begin+"\nx\n"), "hello", nil); err == nil {
		t.Error("an unclosed block was accepted")
	}
}

// TestAuthorizeKeys: each trainee with a key gets a line, printed or
// merged into the file; one without is named; a forced command that would
// hold a shell character is refused.
func TestAuthorizeKeys(t *testing.T) {
	home := instance.Home{Dir: t.TempDir()}
	if err := updateRoster(context.Background(), home, "hello", func(r *Roster) {
		r.add([]Trainee{{Name: "alice", Instance: "hello-alice"}, {Name: "bob", Instance: "hello-bob"}})
	}); err != nil {
		t.Fatal(err)
	}
	keys := t.TempDir()
	_, pub, err := provision.NewKey("alice@laptop")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(KeyFile(keys, "alice"), pub, 0o644)
	var out, log strings.Builder
	opts := KeysOptions{Dir: keys, Vlab: "/usr/local/bin/vlab", Labs: "/srv/labs", Out: &out, Log: &log}
	if err := AuthorizeKeys(home, "hello", opts); err != nil {
		t.Fatal(err)
	}
	want := `restrict,pty,command="env VLAB_HOME=` + home.Dir + ` /usr/local/bin/vlab --labs /srv/labs trainee hello alice" ssh-ed25519 `
	if !strings.HasPrefix(out.String(), want) || strings.Count(out.String(), "\n") != 1 ||
		log.String() != "no key for bob (want "+filepath.Join(keys, "<trainee>.pub")+"): they cannot log in\n" {
		t.Errorf("printed:\n%s\nlog:\n%s", out.String(), log.String())
	}

	opts.Write = filepath.Join(t.TempDir(), "authorized_keys")
	opts.Connect = "qemu+ssh://lab1/system"
	out.Reset()
	if err := AuthorizeKeys(home, "hello", opts); err != nil || out.Len() != 0 {
		t.Fatalf("--write: %v, printed %q", err, out.String())
	}
	data, _ := os.ReadFile(opts.Write)
	if !strings.Contains(string(data), "--connect qemu+ssh://lab1/system trainee hello alice\" ") || !strings.HasPrefix(string(data), "# vlab class hello:") {
		t.Errorf("authorized_keys:\n%s", data)
	}

	for _, bad := range []KeysOptions{{Dir: keys, Vlab: "/opt/my vlab/vlab", Labs: "/srv/labs"}, {Dir: keys, Vlab: "/v", Labs: "/srv/$labs"}} {
		if err := AuthorizeKeys(home, "hello", bad); err == nil || !strings.Contains(err.Error(), "shell characters") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
