package classroom

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/instance"
	"github.com/vlab-dev/vlab/labfile"
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

func TestPagePort(t *testing.T) {
	if PagePort(7100, 1) != 7101 || PagePort(0, 3) != 0 {
		t.Errorf("PagePort: %d %d", PagePort(7100, 1), PagePort(0, 3))
	}
}

// TestAdmit: a trainee of the class gets their request on their own
// instance; a stranger, a refused request and a VLAB_CONNECT in the
// session are refused.
func TestAdmit(t *testing.T) {
	home := instance.Home{Dir: t.TempDir()}
	if err := updateRoster(context.Background(), home, "hello", func(r *Roster) {
		r.add([]Trainee{{Name: "alice", Instance: "hello-alice"}})
	}); err != nil {
		t.Fatal(err)
	}
	r, err := Admit(home, "hello", "alice", "check --json", "")
	if err != nil || r.Instance != "hello-alice" || strings.Join(r.CommandLine("/srv/labs", ""), " ") != "vlab --labs /srv/labs check hello --instance hello-alice --json" {
		t.Errorf("alice's check: %+v, %v", r, err)
	}
	if got := strings.Join(r.CommandLine("/srv/labs", "qemu+ssh://lab1/system"), " "); !strings.HasPrefix(got, "vlab --labs /srv/labs --connect qemu+ssh://lab1/system check ") {
		t.Errorf("with the forced command's --connect: %s", got)
	}
	if _, err := Admit(home, "hello", "mallory", "status", ""); err == nil || err.Error() != "mallory is not a trainee of the class of hello" {
		t.Errorf("mallory: %v", err)
	}
	for _, c := range [][2]string{{"destroy", ""}, {"status", "qemu+ssh://x/system"}} {
		if _, err := Admit(home, "hello", "alice", c[0], c[1]); !errors.Is(err, ErrNotForTrainees) {
			t.Errorf("alice %q with VLAB_CONNECT=%q: %v", c[0], c[1], err)
		}
	}
	if _, err := Admit(home, "web", "alice", "status", ""); !errors.Is(err, ErrNoClass) {
		t.Errorf("a lab without a class: %v", err)
	}
}

// TestBrief: the trainee's briefing names their instance and their verbs.
func TestBrief(t *testing.T) {
	var b strings.Builder
	if err := Brief(&b, &labfile.Lab{Name: "shop", Title: "502 on every call"}, "shop-alice"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "502 on every call") || !strings.Contains(b.String(), "Your instance is shop-alice. Through this key you can run: brief, check,") {
		t.Errorf("brief:\n%s", b.String())
	}
}
