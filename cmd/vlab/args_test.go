package main

import (
	"io"
	"strings"
	"testing"
)

func TestInterspersed(t *testing.T) {
	app := newApp(strings.NewReader(""), io.Discard, io.Discard, nil)
	for _, tt := range []struct{ in, want string }{
		{"vlab up web --instance alice", "vlab up --instance alice web"},
		{"vlab --labs x up web -i alice --fresh", "vlab --labs x up -i alice --fresh web"},
		{"vlab ssh web app -- ls --all -i", "vlab ssh web app -- ls --all -i"},
		{"vlab ssh web --instance bob -- uptime", "vlab ssh --instance bob web -- uptime"},
		{"vlab check web --json", "vlab check --json web"},
		{"vlab images build debian-12 --force", "vlab images build --force debian-12"},
		{"vlab images", "vlab images"},
		{"vlab new x --help --labs d", "vlab new --help"},
		{"vlab ssh web -- ls --help", "vlab ssh web -- ls --help"},
		{"vlab", "vlab"},
		// Global flags after the verb go in front of it.
		{"vlab up web --standby=false", "vlab --standby=false up web"},
		{"vlab class up web --trainees a,b --connect qemu:///system -v", "vlab --connect qemu:///system -v class up --trainees a,b web"},
		{"vlab --labs x reset web --labs y", "vlab --labs x --labs y reset web"},
	} {
		args, err := interspersed(app, strings.Fields(tt.in))
		if got := strings.Join(args, " "); got != tt.want || err != nil {
			t.Errorf("%q → %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"vlab up web --instance", "vlab new x --labs", "vlab images import x d.qcow2 --kernel"} {
		if _, err := interspersed(app, strings.Fields(in)); err == nil || !strings.Contains(err.Error(), "needs a value") {
			t.Errorf("%q: error %v, want a flag that needs a value", in, err)
		}
	}
}
