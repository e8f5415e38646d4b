package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/incident"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/provision"
	"github.com/vlab-dev/vlab/traffic"
)

// fakeRunner answers the stats file's read with stats.
type fakeRunner struct{ stats []byte }

func (f fakeRunner) Run(_ context.Context, cmd string, _ io.Reader, stdout, stderr io.Writer) (int, error) {
	if strings.Contains(cmd, traffic.StatsPath("readers")) {
		stdout.Write(f.stats)
		return 0, nil
	}
	io.WriteString(stdout, "live output of "+cmd)
	return 0, nil
}
func (fakeRunner) Upload(context.Context, string, string) error            { return nil }
func (fakeRunner) WriteFile(context.Context, string, []byte, uint32) error { return nil }

type fakeSource struct {
	lab     *labfile.Lab
	journal *incident.Journal
	runner  fakeRunner
}

func (f *fakeSource) ID() string { return "tea-alice" }

func (f *fakeSource) Session() (*incident.Session, error) {
	return &incident.Session{Lab: f.lab, Journal: f.journal,
		Dial: func(context.Context, string) (provision.Runner, error) { return f.runner, nil }}, nil
}

func newSource(t *testing.T) *fakeSource {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "graphs"), 0o755)
	os.WriteFile(filepath.Join(dir, "graphs", "workers.png"), []byte("\x89PNG\r\n\x1a\nfake"), 0o644)
	lab := &labfile.Lab{Name: "tea", Title: "The wiki answers 429", Dir: dir,
		Summary:  "Readers get **429**.\n\n<script>alert(1)</script>",
		Triggers: []labfile.Trigger{{Name: "readers", VM: "edge", Client: &labfile.Client{}}},
		Injects: []labfile.Inject{
			{ID: "alert", Kind: "alert", Title: "429s above 5%", Body: "the `www` site"},
			{ID: "graph", Kind: "graph", At: labfile.Duration(time.Minute), Title: "Workers busy", Attach: "graphs/workers.png"},
			{ID: "log", Kind: "log", At: labfile.Duration(2 * time.Minute), Title: "Error log", Live: &labfile.Live{VM: "edge", Command: "tail -n 3 /var/log/x"}},
			{ID: "cause", Kind: "cause", At: labfile.Duration(3 * time.Minute), Title: "The rule is global"},
		}}
	j, err := incident.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	s := &incident.Session{Lab: lab, Journal: j}
	if err := s.StartAttempt("up"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	st := traffic.Stats{Format: traffic.StatsFormat, Client: "readers", Written: float64(now.Unix()), Bounds: traffic.LatencyBounds}
	for i := 60; i > 0; i-- {
		lat := make([]int, len(traffic.LatencyBounds)+1)
		lat[3] = 9
		st.Seconds = append(st.Seconds, traffic.Second{T: now.Unix() - int64(i), Requests: 10, Codes: map[string]int{"200": 8, "429": 1}, Errors: map[string]int{"timeout": 1}, Latency: lat})
	}
	// A second from before a reset set the clock back: not drawn.
	st.Seconds = append([]traffic.Second{{T: now.Unix() - 3600, Requests: 5, Codes: map[string]int{"200": 5}, Latency: make([]int, len(traffic.LatencyBounds)+1)}}, st.Seconds...)
	b, _ := json.Marshal(st)
	return &fakeSource{lab: lab, journal: j, runner: fakeRunner{stats: b}}
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:7070"+path, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// post posts a form and follows a redirect (relative to the posting
// page, as a browser does) with a GET.
func post(t *testing.T, h http.Handler, path string, form url.Values) (int, string) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:7070"+path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusSeeOther {
		return w.Code, w.Body.String()
	}
	next, err := r.URL.Parse(w.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return get(t, h, next.RequestURI())
}

var tokenRE = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// TestTraineePage: the page shows the briefing (escaped), reveals the
// injects one by one with their picture and live output, asks before the
// one that gives the answer away, refuses a form without its token and
// requests for another host, and draws the clients' traffic.
func TestTraineePage(t *testing.T) {
	src := newSource(t)
	h := NewTrainee(src)
	code, body := get(t, h, "/")
	if code != 200 || !strings.Contains(body, "<strong>429</strong>") || strings.Contains(body, "<script>") ||
		!strings.Contains(body, "Nothing revealed yet") || !strings.Contains(body, "(4 left)") {
		t.Fatalf("first page: %d\n%s", code, body)
	}
	token := tokenRE.FindStringSubmatch(body)[1]
	if code, _ := post(t, h, "/reveal", url.Values{"token": {"stale"}}); code != http.StatusForbidden {
		t.Errorf("a form without the page's token: %d", code)
	}
	if code, _ := get(t, h, "/attachment/2"); code != http.StatusNotFound {
		t.Errorf("the graph before it is revealed: %d", code)
	}
	for _, want := range []string{"429s above 5%", `<img src="attachment/2"`, "live output of tail -n 3 /var/log/x"} {
		// Each reveal leads to the inject's own page, whose links start
		// one level up.
		code, body := post(t, h, "/reveal", url.Values{"token": {token}})
		if code != 200 || !strings.Contains(body, want) || !strings.Contains(body, `<base href="../">`) {
			t.Errorf("reveal: %d, no %q:\n%s", code, want, body)
		}
	}
	if code, body := get(t, h, "/attachment/2"); code != 200 || !strings.HasPrefix(body, "\x89PNG") {
		t.Errorf("the revealed graph: %d %q", code, body)
	}
	code, body = post(t, h, "/reveal", url.Values{"token": {token}})
	if code != 200 || !strings.Contains(body, "gives away the answer") || strings.Contains(body, "The rule is global</b>\n") {
		t.Errorf("the cause without asking: %d\n%s", code, body)
	}
	if code, body := post(t, h, "/reveal", url.Values{"token": {token}, "confirm": {"yes"}}); code != 200 || !strings.Contains(body, "<b>The rule is global</b>") {
		t.Errorf("the cause, confirmed: %d\n%s", code, body)
	}
	if code, _ := get(t, h, "/inject/3"); code != http.StatusForbidden {
		t.Errorf("inject 3 again without the page's token: %d", code)
	}
	if code, body := get(t, h, "/inject/3?token="+token); code != 200 || !strings.Contains(body, "live output of tail") {
		t.Errorf("inject 3 again: %d\n%s", code, body)
	}
	code, svg := get(t, h, "/traffic.svg")
	if code != 200 || !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "readers: answers a second") ||
		strings.Count(svg, `fill="#2e7d32"`) < 50 || !strings.Contains(svg, "<polyline") {
		t.Errorf("traffic graph: %d\n%.600s", code, svg)
	}
	for _, m := range regexp.MustCompile(`x="(-?[0-9.]+)"`).FindAllStringSubmatch(svg, -1) {
		if x, _ := strconv.ParseFloat(m[1], 64); x < 0 {
			t.Errorf("the graph draws at x=%s, left of the picture", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`points="([^"]*)"`).FindAllStringSubmatch(svg, -1) {
		for _, pt := range strings.Fields(m[1]) {
			if x, _ := strconv.ParseFloat(strings.Split(pt, ",")[0], 64); x < 50 {
				t.Errorf("the latency line starts left of its panel: %s", pt)
			}
		}
	}
	r := httptest.NewRequest(http.MethodGet, "http://evil.example/", nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMisdirectedRequest {
		t.Errorf("a request for another host: %d", w.Code)
	}
	if csp := w.Header().Get("Content-Security-Policy"); csp != "" {
		t.Errorf("refused request got headers of a page: %q", csp)
	}
}

func TestMarkdownEscapes(t *testing.T) {
	got := string(markdown("a <b>x</b> **bold** `c<d`\n\n- one\n- <i>two</i>\n\n```\n<pre>\n```"))
	for _, want := range []string{"a &lt;b&gt;x&lt;/b&gt; <strong>bold</strong> <code>c&lt;d</code>", "<li>&lt;i&gt;two&lt;/i&gt;</li>", "&lt;pre&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown: no %q in\n%s", want, got)
		}
	}
}

func TestGraphWithoutClients(t *testing.T) {
	var b bytes.Buffer
	writeGraph(&b, nil, time.Now())
	if !strings.Contains(b.String(), "no traffic clients") {
		t.Errorf("%s", b.String())
	}
}
