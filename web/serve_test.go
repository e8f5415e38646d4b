package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// logBuffer is a log two goroutines may use.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServe: every site is served at the address the log names, until
// the context ends; an address in use is refused before any is served.
func TestServe(t *testing.T) {
	hello := func(s string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, s) })
	}
	ctx, cancel := context.WithCancel(context.Background())
	var log logBuffer
	done := make(chan error)
	go func() {
		done <- Serve(ctx, &log, Site{"127.0.0.1:0", hello("one"), "the first"}, Site{"127.0.0.1:0", hello("two"), "the second"})
	}()
	re := regexp.MustCompile(`serving the (first|second) on http://(127\.0\.0\.1:\d+)/`)
	var ms [][]string
	for deadline := time.Now().Add(2 * time.Second); len(ms) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ms = re.FindAllStringSubmatch(log.String(), -1)
	}
	if len(ms) != 2 {
		t.Fatalf("log: %s", log.String())
	}
	for _, m := range ms {
		resp, err := http.Get("http://" + m[2] + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := map[string]string{"first": "one", "second": "two"}[m[1]]; string(b) != want {
			t.Errorf("the %s served %q, want %q", m[1], b, want)
		}
	}
	cancel()
	if err := <-done; err != nil || !strings.Contains(log.String(), "Ctrl-C stops") {
		t.Errorf("after the context ended: %v\n%s", err, log.String())
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	log = logBuffer{}
	err = Serve(context.Background(), &log, Site{"127.0.0.1:0", hello("one"), "the first"}, Site{l.Addr().String(), hello("two"), "bob's page"})
	if err == nil || !strings.Contains(err.Error(), "listen on "+l.Addr().String()+" for bob's page: ") || !strings.HasSuffix(err.Error(), "; choose another with --listen or --pages") || log.String() != "" {
		t.Errorf("an address in use: %v; log %q", err, log.String())
	}
}
