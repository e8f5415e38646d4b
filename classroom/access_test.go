package classroom

import (
	"errors"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/provision"
)

func TestTraineeArgs(t *testing.T) {
	const lab, id = "hello", "hello-alice"
	for _, tt := range []struct {
		request string
		want    string // the vlab arguments, or "refused"
	}{
		{"", "brief hello --instance hello-alice"},
		{"brief", "brief hello --instance hello-alice"},
		{"check", "check hello --instance hello-alice"},
		{"check --json", "check hello --instance hello-alice --json"},
		{"inject", "inject hello --instance hello-alice"},
		{"inject --list", "inject hello --instance hello-alice --list"},
		{"inject 2", "inject hello --instance hello-alice 2"},
		{"reset", "reset hello --instance hello-alice"},
		{"debrief --json", "debrief hello --instance hello-alice --json"},
		{"status", "status hello --instance hello-alice"},
		{"ssh", "ssh hello --instance hello-alice"},
		{"ssh box", "ssh hello --instance hello-alice box"},
		{"ssh box -- cat /etc/passwd --instance x", "ssh hello --instance hello-alice box -- cat /etc/passwd --instance x"},
		// Another trainee's instance, the trainer's verbs, global flags.
		{"reset --instance hello-bob", "refused"},
		{"check -i hello-bob", "refused"},
		{"check --instance=hello-bob", "refused"},
		{"ssh box --instance hello-bob", "refused"},
		{"ssh -i hello-bob box", "refused"},
		{"check --labs /tmp", "refused"},
		{"check --connect qemu+ssh://x/system", "refused"},
		{"destroy", "refused"},
		{"down", "refused"},
		{"up", "refused"},
		{"solution", "refused"},
		{"solve", "refused"},
		{"preview", "refused"},
		{"class status", "refused"},
		{"golden rm hello", "refused"},
		{"standby", "refused"},
		{"trainee hello bob", "refused"},
		{"--labs /tmp check", "refused"},
		{"check other-lab", "refused"},
		{"reset now", "refused"},
		{"brief me", "refused"},
		{"page", "web hello --instance hello-alice --stdio"},
		{"page --listen 0.0.0.0:80", "refused"},
		{"page hello-bob", "refused"},
		{"web hello --instance hello-bob", "refused"},
		{"inject 1 2", "refused"},
		{"check\nreset", "refused"},
		{"check; reset --instance hello-bob", "refused"},
		{strings.Repeat("a", MaxRequest+1), "refused"},
	} {
		args, err := TraineeArgs(lab, id, tt.request)
		got := strings.Join(args, " ")
		if err != nil {
			if !errors.Is(err, ErrNotForTrainees) {
				t.Errorf("%q: error %v is not a refusal", tt.request, err)
			}
			got = "refused"
		}
		if got != tt.want {
			t.Errorf("%q: got %q (%v), want %q", tt.request, got, err, tt.want)
		}
	}
}

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

func TestPagePort(t *testing.T) {
	if PagePort(7100, 1) != 7101 || PagePort(0, 3) != 0 {
		t.Errorf("PagePort: %d %d", PagePort(7100, 1), PagePort(0, 3))
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
