package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a buffer two goroutines may use.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveOnFake runs a serving command of the CLI on the fake driver until
// the test ends and returns its address.
func serveOnFake(t *testing.T, f *fakeCLI, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int)
	go func() {
		full := append([]string{"vlab", "--labs", filepath.Join("..", "..", "labs")}, args...)
		done <- runWith(ctx, full, strings.NewReader(""), io.Discard, &errb, f.open)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return servingAddr(t, &errb, 2*time.Second)
}

// servingAddr waits for a serving command's "serving ... on http://ADDR/".
func servingAddr(t *testing.T, errb *syncBuffer, wait time.Duration) string {
	t.Helper()
	re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(errb.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("nothing served: %s", errb.String())
	return ""
}

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// TestWebOnFakeDriver: `vlab web` serves an instance's page and `vlab
// class web` the room, with each trainee's row, the real timeline, the
// debriefs and each trainee's own page.
func TestWebOnFakeDriver(t *testing.T) {
	f := newFakeCLI(t, quietGuest)
	if code, _, errOut := f.run(t, "class", "up", "hello", "--trainees", "alice,bob", "--force"); code != 0 {
		t.Fatalf("class up: %s", errOut)
	}
	f.run(t, "check", "hello", "-i", "hello-bob")
	addr := serveOnFake(t, f, "web", "hello", "-i", "hello-alice", "--listen", "127.0.0.1:0")
	if page := fetch(t, "http://"+addr+"/"); !strings.Contains(page, "Hello, VM") || !strings.Contains(page, "<b>hello-alice</b>") {
		t.Errorf("alice's page:\n%s", page)
	}
	addr = serveOnFake(t, f, "class", "web", "hello", "--listen", "127.0.0.1:0")
	room := fetch(t, "http://"+addr+"/")
	for _, want := range []string{`<a href="t/alice/">alice</a>`, `<a href="t/bob/">bob</a>`, `id="timeline"`, `id="debrief-bob"`, "0/1 passed"} {
		if !strings.Contains(room, want) {
			t.Errorf("the room has no %q:\n%s", want, room)
		}
	}
	if page := fetch(t, "http://"+addr+"/t/bob/"); !strings.Contains(page, "<b>hello-bob</b>") || !strings.Contains(page, "0 of 1 probes pass") {
		t.Errorf("bob's page from the dashboard:\n%s", page)
	}
}

// TestTraineePagesOnFakeDriver: with --pages, `vlab class web` also
// serves each trainee's own page on a port of their own, in roster order.
func TestTraineePagesOnFakeDriver(t *testing.T) {
	f := newFakeCLI(t, quietGuest)
	if code, _, errOut := f.run(t, "class", "up", "hello", "--trainees", "alice,bob", "--force"); code != 0 {
		t.Fatalf("class up: %s", errOut)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := l.Addr().(*net.TCPAddr).Port
	l.Close()
	serveOnFake(t, f, "class", "web", "hello", "--listen", "127.0.0.1:0", "--pages", strconv.Itoa(base))
	if page := fetch(t, fmt.Sprintf("http://127.0.0.1:%d/", base+1)); !strings.Contains(page, "<b>hello-bob</b>") {
		t.Errorf("bob's own page:\n%s", page)
	}
}
