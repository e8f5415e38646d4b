package traffic

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTemplate(t *testing.T) {
	for _, tc := range []struct {
		url, err string
		want     []string // every draw is one of these
	}{
		{url: "http://a/search?q={tea|cup}&page={1-2}", want: []string{
			"http://a/search?q=tea&page=1", "http://a/search?q=tea&page=2", "http://a/search?q=cup&page=1", "http://a/search?q=cup&page=2"}},
		{url: "https://a/x", want: []string{"https://a/x"}},
		{url: "http://a/{0-0}", want: []string{"http://a/0"}},
		{url: "http://a/{tea", err: "not closed"},
		{url: "http://a/}", err: "no {"},
		{url: "http://a/{5-1}", err: "range"},
		{url: "http://a/{a||b}", err: "words"},
		{url: "ftp://a/", err: "http://"},
		{url: "http:///x", err: "no host"},
	} {
		tmpl, err := parseTemplate(tc.url)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want one saying %q", tc.url, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		seen := map[string]bool{}
		for range 200 {
			seen[tmpl.expand()] = true
		}
		for _, w := range tc.want {
			if !seen[w] {
				t.Errorf("%s: never drew %s (drew %v)", tc.url, w, seen)
			}
			delete(seen, w)
		}
		if len(seen) > 0 {
			t.Errorf("%s: drew %v, not among %v", tc.url, seen, tc.want)
		}
	}
}

func TestPacerDoesNotCatchUp(t *testing.T) {
	p := &pacer{rate: 10}
	if w, _ := p.Pace(0, 0); w != 0 {
		t.Fatalf("first wait %s, want 0", w)
	}
	if w, _ := p.Pace(0, 1); w != 100*time.Millisecond {
		t.Fatalf("second wait %s, want 100ms at 10/s", w)
	}
	// The guest was paused for an hour: no burst of 36000 requests.
	p.Pace(time.Hour, 2)
	if w, _ := p.Pace(time.Hour, 3); w != 100*time.Millisecond {
		t.Errorf("after a pause the next wait is %s, want the rate's 100ms", w)
	}
	r := &pacer{rate: 10, ramp: 10 * time.Second}
	if got := r.Rate(5 * time.Second); got != 5 {
		t.Errorf("ramp halfway: %v/s, want 5", got)
	}
	if got := r.Rate(0); got != 1 {
		t.Errorf("ramp start: %v/s, want 1", got)
	}
}

func TestRecorderSeconds(t *testing.T) {
	r := newRecorder("c")
	t0 := time.Unix(1000, 0)
	r.add(t0.Add(100*time.Millisecond), 200, "", 3*time.Millisecond)
	r.add(t0.Add(200*time.Millisecond), 0, "dial tcp: connect: connection refused", 20*time.Millisecond)
	r.flush(t0.Add(500 * time.Millisecond)) // the first flush starts the count
	s := r.flush(t0.Add(1100 * time.Millisecond))
	if len(s.Seconds) != 2 || s.Seconds[1].T != 1000 || s.Seconds[1].Requests != 2 ||
		s.Seconds[1].Codes["200"] != 1 || s.Seconds[1].Errors["refused"] != 1 {
		t.Fatalf("seconds after one tick: %+v", s.Seconds)
	}
	// Two quiet seconds (requests hanging) are written as empty seconds...
	s = r.flush(t0.Add(3100 * time.Millisecond))
	if n := len(s.Seconds); n != 4 || s.Seconds[3].T != 1002 || s.Seconds[3].Requests != 0 {
		t.Fatalf("quiet seconds: %+v", s.Seconds)
	}
	// ...but an hour in which the guest did not run is not made up.
	s = r.flush(t0.Add(time.Hour))
	if n := len(s.Seconds); n != 5 || s.Seconds[4].T != 1000+3600-1 {
		t.Fatalf("after a pause: %d seconds, last %+v", n, s.Seconds[n-1])
	}
}

func TestSummary(t *testing.T) {
	sec := func(t int64, ok, bad, slow int) Second {
		s := *newSecond(t)
		s.Requests = ok + bad + slow
		s.Codes["200"] = ok + slow
		s.Codes["503"] = bad
		s.Latency[bucket(2*time.Millisecond)] += ok + bad
		s.Latency[bucket(3*time.Second)] += slow
		return s
	}
	st := &Stats{Format: 1, Written: 110.5, Bounds: LatencyBounds,
		Seconds: []Second{sec(100, 50, 50, 0), sec(105, 9, 1, 0), sec(108, 8, 0, 2), sec(109, 10, 0, 0), sec(110, 0, 99, 0)}}
	w := st.Window(5 * time.Second) // seconds 105..109; 110 is not over
	if w.Seconds != 3 || w.Requests != 30 {
		t.Fatalf("window: %d seconds, %d requests; want 3 and 30", w.Seconds, w.Requests)
	}
	if w.Codes["503"] != 1 || w.Codes["200"] != 29 {
		t.Errorf("codes = %v, want 29 200s and one 503", w.Codes)
	}
	// 28 of 30 in the first bucket (0..5ms], 2 in (2.5s..5s].
	if q, _ := w.Quantile(0.90); q <= 4*time.Millisecond || q > 5*time.Millisecond {
		t.Errorf("p90 = %s, want just under 5ms", q)
	}
	if q, _ := w.Quantile(0.95); q != 3125*time.Millisecond {
		t.Errorf("p95 = %s, want 3.125s (a quarter into the 2.5s..5s bucket)", q)
	}
	if _, ok := (&Stats{Written: 200.5, Bounds: LatencyBounds}).Window(time.Second).Quantile(0.5); ok {
		t.Error("a window with no requests has a quantile")
	}
	if got := st.Age(time.Unix(112, 500e6)); got != 2*time.Second {
		t.Errorf("age = %s", got)
	}
}

func TestParseStatsRefusesMalformed(t *testing.T) {
	for _, b := range []string{`{`, `{"format": 2}`, `{"format":1,"latency_ms":[1],"written":1,"seconds":[{"t":1,"latency":[1]}]}`,
		`{"format":1,"written":1}`} {
		if _, err := ParseStats([]byte(b)); err == nil {
			t.Errorf("ParseStats(%s) accepted it", b)
		}
	}
	if _, err := ParseStats(make([]byte, MaxStatsSize+1)); err == nil {
		t.Error("an oversized file was accepted")
	}
}

// TestRunAgainstServer plays a mix from two source addresses against a
// real server and a closed port, and reads the stats file.
func TestRunAgainstServer(t *testing.T) {
	var mu sync.Mutex
	paths, sources, agents := map[string]int{}, map[string]int{}, map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths[r.URL.Path]++
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		sources[host]++
		agents[r.Header.Get("User-Agent")]++
		mu.Unlock()
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := closed.Addr().String()
	closed.Close()

	dir := t.TempDir()
	path := filepath.Join(dir, "c.json")
	cfg := Config{Name: "c", Rate: 40, Concurrency: 4, Timeout: 2 * time.Second,
		Sources: []string{"127.0.0.2", "127.0.0.3"},
		Headers: map[string]string{"User-Agent": "TestBot/1"},
		Targets: []Target{
			{URL: srv.URL + "/ok", Weight: 6},
			{URL: srv.URL + "/{fail|slow}", Weight: 2},
			{URL: "http://" + deadAddr + "/", Weight: 2, Headers: map[string]string{"User-Agent": "Other"}},
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	if err := Run(ctx, cfg, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := ParseStats(b)
	if err != nil {
		t.Fatal(err)
	}
	w := st.Window(time.Minute)
	if w.Seconds < 2 || w.Requests < 60 {
		t.Fatalf("%d requests in %d seconds, want about 40/s: %s", w.Requests, w.Seconds, w)
	}
	if w.Codes["200"] == 0 || w.Codes["503"] == 0 || w.Errors["refused"] == 0 {
		t.Errorf("want 200s, 503s and refused connections: %s", w)
	}
	if q, _ := w.Quantile(0.99); q < 250*time.Millisecond {
		t.Errorf("p99 %s, want the slow target's 300ms to show", q)
	}
	mu.Lock()
	defer mu.Unlock()
	if sources["127.0.0.2"] == 0 || sources["127.0.0.3"] == 0 || len(sources) != 2 {
		t.Errorf("requests came from %v, want both sources", sources)
	}
	if paths["/ok"] < 2*paths["/fail"] || paths["/fail"] == 0 || paths["/slow"] == 0 {
		t.Errorf("path mix %v, want /ok about 6 to 1 of each other", paths)
	}
	if agents["TestBot/1"] == 0 || agents["Other"] != 0 {
		t.Errorf("user agents the server saw: %v", agents)
	}
}

// TestSlowClients holds connections open against a server that waits
// for headers.
func TestSlowClients(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				b := make([]byte, 1024)
				for {
					if _, err := c.Read(b); err != nil {
						return
					}
				}
			}()
		}
	}()
	path := filepath.Join(t.TempDir(), "s.json")
	cfg := Config{Name: "s", Slow: &Slow{URL: "http://" + l.Addr().String() + "/", Connections: 5, Interval: 200 * time.Millisecond}}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	if err := Run(ctx, cfg, path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	st, err := ParseStats(b)
	if err != nil {
		t.Fatal(err)
	}
	most := 0
	for _, sec := range st.Seconds {
		most = max(most, sec.SlowOpen)
	}
	if most != 5 {
		t.Errorf("slow connections open: at most %d (%+v), want 5", most, st.Seconds)
	}
}

// TestRunHTTPS: the lab's own certificates are not checked by default;
// with VerifyTLS an unknown issuer is a tls error.
func TestRunHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, verify := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "tls.json")
		ctx, cancel := context.WithTimeout(context.Background(), 2200*time.Millisecond)
		err := Run(ctx, Config{Name: "tls", Rate: 20, VerifyTLS: verify, Targets: []Target{{URL: srv.URL + "/"}}}, path)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		st, err := ParseStats(b)
		if err != nil {
			t.Fatal(err)
		}
		w := st.Window(time.Minute)
		if verify && (w.Errors["tls"] == 0 || w.Codes["200"] != 0) || !verify && (w.Codes["200"] == 0 || w.Errors["tls"] != 0) {
			t.Errorf("verify %v: %s", verify, w)
		}
	}
}

// TestStopDoesNotWaitForRequests: a stopped client (a trainee's
// systemctl stop) ends within a second or so, not after its requests'
// timeout.
func TestStopDoesNotWaitForRequests(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := Run(ctx, Config{Name: "hang", Rate: 5, Timeout: 30 * time.Second, Targets: []Target{{URL: srv.URL + "/"}}},
		filepath.Join(t.TempDir(), "hang.json")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the client took %s to stop with requests hanging", d)
	}
}

func TestErrorKindIgnoresTheURL(t *testing.T) {
	for msg, want := range map[string]string{
		`Get "http://api/timeouts": dial tcp 10.0.0.1:80: connect: connection refused`:                             "refused",
		`Get "http://eof.example/tls": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`: "timeout",
		`Get "http://x/": EOF`: "eof",
		`Get "https://x/": tls: failed to verify certificate: x509: certificate signed by unknown authority`: "tls",
	} {
		if got := errorKind(msg); got != want {
			t.Errorf("errorKind(%q) = %s, want %s", msg, got, want)
		}
	}
}
