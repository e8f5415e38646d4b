package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/provision"
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

// TestTraineePagesOnFakeDriver: with --pages, `vlab class web` serves each
// trainee's own page on a port of their own, `vlab class keys` lets each
// key tunnel to that port only, and the briefing says how.
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
	keys := t.TempDir()
	_, pub, _ := provision.NewKey("alice")
	os.WriteFile(filepath.Join(keys, "alice.pub"), pub, 0o644)
	code, out, errOut := f.run(t, "class", "keys", "hello", "--keys", keys, "--pages", strconv.Itoa(base))
	if want := fmt.Sprintf(`permitopen="127.0.0.1:%d",command="env VLAB_HOME=`, base); code != 0 || !strings.Contains(out, want) || !strings.Contains(out, fmt.Sprintf("trainee --page %d hello alice", base)) {
		t.Errorf("class keys --pages: exit %d\n%s%s", code, out, errOut)
	}
	t.Setenv("SSH_ORIGINAL_COMMAND", "")
	if code, out, _ := f.run(t, "trainee", "--page", strconv.Itoa(base), "hello", "alice"); code != 0 || !strings.Contains(out, fmt.Sprintf("ssh -N -L 7070:127.0.0.1:%d", base)) {
		t.Errorf("alice's briefing: exit %d\n%s", code, out)
	}
}
