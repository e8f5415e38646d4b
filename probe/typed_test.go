package probe

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/probe/probetest"
	"github.com/vlab-dev/vlab/provision"
)

// typedLab loads a lab with one VM, web, and one probe, p, whose type
// and settings are spec (YAML lines under the probe), so that the probe
// gets the defaults and validation of a real lab.yaml.
func typedLab(t *testing.T, spec string) *labfile.Lab {
	t.Helper()
	return labWithProbe(t, "name: t\ntitle: t\nvms:\n  - name: web\nprobes:\n  - name: p\n    vm: web\n", spec)
}

// labWithProbe is the lab head followed by the lines of spec, indented
// under the last probe of head.
func labWithProbe(t *testing.T, head, spec string) *labfile.Lab {
	t.Helper()
	var b strings.Builder
	b.WriteString(head)
	for _, line := range strings.Split(strings.TrimSpace(spec), "\n") {
		b.WriteString("    " + line + "\n")
	}
	lab, err := labfile.Parse("typed.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("lab: %v\n%s", err, b.String())
	}
	return lab
}

// replies answers commands with replies in turn, the last repeating.
func replies(rs ...probetest.Reply) probetest.Answer {
	var mu sync.Mutex
	n := 0
	return func(string, string) probetest.Reply {
		mu.Lock()
		defer mu.Unlock()
		r := rs[min(n, len(rs)-1)]
		n++
		return r
	}
}

// checkTyped runs the lab's probe against an in-process SSH guest.
func checkTyped(t *testing.T, lab *labfile.Lab, answer probetest.Answer) (Report, *probetest.Guest, *probetest.Clock) {
	t.Helper()
	g := probetest.NewGuest(t, answer)
	conn := g.Dial(t)
	clock := probetest.NewClock(time.Unix(1e9, 0))
	c := Checker{Clock: clock, Dial: func(context.Context, string) (provision.Runner, error) { return conn, nil }}
	return c.Check(context.Background(), lab), g, clock
}

type typedCase struct {
	name     string
	spec     string
	replies  []probetest.Reply
	want     Status
	observed string
	msg      string // contained in the message
}

func runTyped(t *testing.T, cases []typedCase) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := checkTyped(t, typedLab(t, tt.spec), replies(tt.replies...))
			res := r.Results[0]
			if res.Status != tt.want || res.Observed != tt.observed || !strings.Contains(res.Message, tt.msg) {
				t.Errorf("got %s observed %q message %q; want %s observed %q message containing %q",
					res.Status, res.Observed, res.Message, tt.want, tt.observed, tt.msg)
			}
			if tt.want == Error && r.ExitCode() != 2 {
				t.Errorf("exit code %d, want 2 for a probe that could not run", r.ExitCode())
			}
		})
	}
}

func ok200(extra string) probetest.Reply {
	return probetest.Reply{Stdout: "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/json\r\n" + extra +
		"\r\n{\"status\": \"ok\"}\n", Stderr: "vlab-http 200 0.012\n"}
}

func TestHTTPProbe(t *testing.T) {
	full := "http: {url: 'http://127.0.0.1/api/health', status: 200, headers: {Server: '^nginx'}, body: '\"ok\"', latency: 500ms}"
	runTyped(t, []typedCase{
		{"passes", full, []probetest.Reply{ok200("")}, Pass, "200 in 12ms", ""},
		{"status", full, []probetest.Reply{{Stdout: "HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\n\r\n<html>", Stderr: "vlab-http 502 0.003\n"}},
			Fail, "502 in 3ms", "status 502, want 200"},
		{"status range", "http: {url: 'http://127.0.0.1/', status: 200-299, body: x}", []probetest.Reply{{Stdout: "HTTP/1.1 404 Not Found\r\n\r\n", Stderr: "vlab-http 404 0.003\n"}},
			Fail, "404 in 3ms", "status 404, want 200-299"},
		{"class", "http: {url: 'http://127.0.0.1/', status: 2xx}", []probetest.Reply{{Stdout: "HTTP/2 204\r\n\r\n", Stderr: "vlab-http 204 0.1\n"}},
			Pass, "204 in 100ms", ""},
		{"interim 100 skipped", full, []probetest.Reply{{Stdout: "HTTP/1.1 100 Continue\r\n\r\n" + ok200("").Stdout, Stderr: "vlab-http 200 0.012\n"}},
			Pass, "200 in 12ms", ""},
		{"header missing", "http: {url: 'http://127.0.0.1/', headers: {X-Api: '.'}}", []probetest.Reply{ok200("")},
			Fail, "200 in 12ms", "no X-Api header"},
		{"header differs", full, []probetest.Reply{{Stdout: "HTTP/1.1 200 OK\nServer: Apache\n\n\"ok\"", Stderr: "vlab-http 200 0.012\n"}},
			Fail, "200 in 12ms", `header Server is "Apache", want a match of ^nginx`},
		{"body differs", full, []probetest.Reply{{Stdout: "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n{\"items\": []}", Stderr: "vlab-http 200 0.012\n"}},
			Fail, "200 in 12ms", `body "{\"items\": []}" does not match "ok"`},
		{"slow", full, []probetest.Reply{{Stdout: ok200("").Stdout, Stderr: "vlab-http 200 1.25\n"}},
			Fail, "200 in 1.25s", "took 1.25s, want within 500ms"},
		{"refused is a failure", full, []probetest.Reply{{Exit: 7,
			Stderr: "curl: (7) Failed to connect to 127.0.0.1 port 80 after 0 ms: Couldn't connect to server\nvlab-http 000 0.000\n"}},
			Fail, "Failed to connect to 127.0.0.1 port 80 after 0 ms: Couldn't connect to server", "GET http://127.0.0.1/api/health: Failed"},
		{"timeout is a failure", full, []probetest.Reply{{Exit: 28, Stderr: "curl: (28) Operation timed out\n"}},
			Fail, "no answer within 5s", "no answer within 5s"},
		{"curl missing", full, []probetest.Reply{{Exit: 127}}, Error, "", "curl missing in vm web"},
		{"curl fails itself", full, []probetest.Reply{{Exit: 2, Stderr: "curl: (2) Failure\n"}}, Error, "", "exit status 2: curl: (2) Failure"},
		{"no status line", full, []probetest.Reply{{Stdout: ok200("").Stdout}}, Error, "", "no status line"},
		{"not HTTP", full, []probetest.Reply{{Stdout: "garbage", Stderr: "vlab-http 200 0.1\n"}}, Error, "", "malformed answer"},
	})
}

func TestTCPProbe(t *testing.T) {
	open := "tcp: {host: db, port: 3306}"
	runTyped(t, []typedCase{
		{"open", open, []probetest.Reply{{}}, Pass, "open", ""},
		{"refused", open, []probetest.Reply{{Exit: 1, Stderr: "bash: connect: Connection refused\nbash: line 1: /dev/tcp/db/3306: Connection refused\n"}},
			Fail, "closed: Connection refused", "db:3306 is closed: Connection refused, want open"},
		{"silent", open, []probetest.Reply{{Exit: 124}}, Fail, "closed: no answer within 3s", "want open"},
		{"closed wanted", "tcp: {port: 9000, state: closed}", []probetest.Reply{{Exit: 1, Stderr: "x: Connection refused"}},
			Pass, "closed: Connection refused", ""},
		{"closed wanted but open", "tcp: {port: 9000, state: closed}", []probetest.Reply{{}}, Fail, "open", "127.0.0.1:9000 is open, want closed"},
		{"bash missing", open, []probetest.Reply{{Exit: 127}}, Error, "", "timeout and bash missing in vm web"},
		{"timeout broken", open, []probetest.Reply{{Exit: 125, Stderr: "timeout: failed"}}, Error, "", "exit status 125"},
	})
}

func TestSystemdProbe(t *testing.T) {
	show := func(load, active, sub string) []probetest.Reply {
		return []probetest.Reply{{Stdout: "ActiveState=" + active + "\nSubState=" + sub + "\nLoadState=" + load + "\n"}}
	}
	runTyped(t, []typedCase{
		{"active", "systemd: {unit: nginx.service}", show("loaded", "active", "running"), Pass, "active (running)", ""},
		{"stopped", "systemd: {unit: nginx.service}", show("loaded", "inactive", "dead"), Fail, "inactive (dead)", "nginx.service is inactive (dead), want active"},
		{"not found", "systemd: {unit: nope.service}", show("not-found", "inactive", "dead"), Fail, "inactive (dead, not-found)", "want active"},
		{"failed wanted", "systemd: {unit: batch.service, state: failed}", show("loaded", "failed", "failed"), Pass, "failed (failed)", ""},
		{"no systemd", "systemd: {unit: nginx.service}", []probetest.Reply{{Exit: 1, Stderr: "System has not been booted with systemd"}},
			Error, "", "System has not been booted with systemd"},
		{"malformed", "systemd: {unit: nginx.service}", []probetest.Reply{{Stdout: "what\n"}}, Error, "", "malformed answer"},
	})
}

func TestDiskFreeProbe(t *testing.T) {
	df := func(used, avail string) []probetest.Reply {
		return []probetest.Reply{{Stdout: "Filesystem 1-blocks Used Available Capacity Mounted on\n/dev/vda1 100 " + used + " " + avail + " 90% /\n"}}
	}
	gib := "1073741824"
	runTyped(t, []typedCase{
		{"percent ok", "disk-free: {path: /var, min: 10%}", df("80", "20"), Pass, "20 B free (20.0%)", ""},
		{"percent low", "disk-free: {path: /var, min: 10%}", df("95", "5"), Fail, "5 B free (5.0%)", "/var has 5 B free (5.0%), want 10% free on /var"},
		{"bytes ok", "disk-free: {path: /, min: 1G}", df(gib, gib), Pass, "1.0 GiB free (50.0%)", ""},
		{"bytes low", "disk-free: {path: /, min: 2G}", df(gib, gib), Fail, "1.0 GiB free (50.0%)", "want 2.0 GiB free on /"},
		{"device with spaces", "disk-free: {path: /, min: 1G}",
			[]probetest.Reply{{Stdout: "Filesystem 1-blocks Used Available Capacity Mounted on\nmy disk 5 " + gib + " " + gib + " 50% /\n"}}, Pass, "1.0 GiB free (50.0%)", ""},
		{"no such path", "disk-free: {path: /gone, min: 1G}", []probetest.Reply{{Exit: 1, Stderr: "df: /gone: No such file or directory\n"}},
			Error, "", "df /gone: exit status 1: df: /gone: No such file or directory"},
		{"malformed", "disk-free: {path: /, min: 1G}", []probetest.Reply{{Stdout: "nonsense\n"}}, Error, "", "malformed answer"},
	})
}

func TestRateProbe(t *testing.T) {
	read := func(uptime, v string) probetest.Reply { return probetest.Reply{Stdout: uptime + " 50.00\n" + v + "\n"} }
	runTyped(t, []typedCase{
		{"fast enough", "rate: {file: /run/requests, min: 100}", []probetest.Reply{read("100.00", "1000"), read("105.00", "1600")}, Pass, "120.00/s", ""},
		{"too slow", "rate: {file: /run/requests, min: 200}", []probetest.Reply{read("100.00", "1000"), read("105.00", "1600")},
			Fail, "120.00/s", "/run/requests: 120/s is below 200/s"},
		{"too fast", "rate: {file: /run/requests, max: 50}", []probetest.Reply{read("100", "0"), read("110", "1000")}, Fail, "100.00/s", "100/s is above 50/s"},
		{"pattern", "rate: {file: /proc/net/snmp, pattern: 'InSegs ([0-9]+)', min: 1}",
			[]probetest.Reply{read("10", "Tcp: x\nInSegs 40"), read("12", "Tcp: x\nInSegs 50")}, Pass, "5.00/s", ""},
		{"systemd property", "rate: {unit: nginx.service, property: IPIngressBytes, min: 1}",
			[]probetest.Reply{read("10", "100"), read("15", "600")}, Pass, "100.00/s", ""},
		{"property not set", "rate: {unit: nginx.service, property: IPIngressBytes, min: 1}",
			[]probetest.Reply{read("10", "[not set]")}, Error, "", `nginx.service IPIngressBytes: "[not set]" is not a number`},
		{"counter reset", "rate: {file: /run/requests, min: 1}", []probetest.Reply{read("10", "500"), read("15", "3")}, Error, "", "went down from 500 to 3"},
		{"uptime stuck", "rate: {file: /run/requests, min: 1}", []probetest.Reply{read("10", "5"), read("10", "6")}, Error, "", "uptime did not move"},
		{"file missing", "rate: {file: /run/requests, min: 1}", []probetest.Reply{{Exit: 1, Stderr: "head: cannot open '/run/requests'"}},
			Error, "", "read /run/requests: exit status 1: head: cannot open"},
		{"pattern absent", "rate: {file: /proc/net/snmp, pattern: 'InSegs ([0-9]+)', min: 1}", []probetest.Reply{read("10", "nothing")},
			Error, "", "not found"},
	})
}

// TestRateSamplesSleepOver: each sample reads twice, over apart, and
// samples are interval apart.
func TestRateSamplesSleepOver(t *testing.T) {
	lab := typedLab(t, "rate: {file: /run/requests, over: 3s, min: 1}\nsamples: 2\ninterval: 1s")
	n := 0
	var mu sync.Mutex
	r, g, clock := checkTyped(t, lab, func(string, string) probetest.Reply {
		mu.Lock()
		defer mu.Unlock()
		n++
		return probetest.Reply{Stdout: fmt.Sprintf("%d.00 0.00\n%d\n", n*3, n*30)}
	})
	if res := r.Results[0]; res.Status != Pass || res.Samples != 2 || res.Observed != "10.00/s" {
		t.Errorf("got %+v", res)
	}
	cmds, _ := g.Cmds()
	if len(cmds) != 4 {
		t.Errorf("%d reads, want 4", len(cmds))
	}
	if got := clock.Sleeps(); len(got) != 3 || got[0] != 3*time.Second || got[1] != time.Second || got[2] != 3*time.Second {
		t.Errorf("sleeps %v, want [3s 1s 3s]", got)
	}
}

// TestTypedConnectionLost: a typed probe whose command's status is
// unknown is an error, as a command probe's is.
func TestTypedConnectionLost(t *testing.T) {
	lab := typedLab(t, "http: {url: 'http://127.0.0.1/'}")
	f := &probetest.Runner{Replies: []probetest.Reply{{Exit: -1, Err: errors.New("command ended without an exit status")}}}
	r := Checker{Clock: probetest.NewClock(time.Time{}), Dial: func(context.Context, string) (provision.Runner, error) { return f, nil }}.Check(context.Background(), lab)
	if res := r.Results[0]; res.Status != Error || !strings.Contains(res.Message, "run curl in vm web: command ended") || r.ExitCode() != 2 {
		t.Errorf("got %s %q, exit %d", res.Status, res.Message, r.ExitCode())
	}
	var b strings.Builder
	r.WriteText(&b)
	for _, want := range []string{"WANT", "status 2xx", "check could not run: probe \"p\" on web: run curl"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

// TestHTTPVerifyTLS: labs' own certificates are not checked unless the
// probe asks for it, as for the traffic client.
func TestHTTPVerifyTLS(t *testing.T) {
	for _, verify := range []bool{false, true} {
		h, err := newHTTP(labfile.HTTPProbe{URL: "https://127.0.0.1/", Status: "200", VerifyTLS: verify})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(h.command(), " --insecure "); got == verify {
			t.Errorf("verify-tls %v: command %s", verify, h.command())
		}
	}
}
