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
		{"vlab", "vlab"},
	} {
		got := strings.Join(interspersed(app, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
	}
}
