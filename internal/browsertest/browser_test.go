package browsertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBrowserFormAndScreenshot: a real chromium loads a page, submits its
// form by a click, reads the next page and takes a screenshot.
func TestBrowserFormAndScreenshot(t *testing.T) {
	if _, err := Find(); err != nil {
		t.Skip(err) // the integration tests, which scripts/test runs, require it
	}
	posted := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posted++
		}
		fmt.Fprintf(w, `<!doctype html><h1 id="n">%d</h1><form method="post" action="/"><button id="b">go</button></form>`, posted)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	b, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Open(ctx, srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := b.Click(ctx, "#b"); err != nil {
		t.Fatal(err)
	}
	var n string
	if err := b.Eval(ctx, "document.querySelector('#n').textContent", &n); err != nil || n != "1" || posted != 1 {
		t.Errorf("after the click: %q, %v; posted %d", n, err, posted)
	}
	shot := filepath.Join(dir, "shot.png")
	if err := b.Screenshot(ctx, shot); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() < 1000 {
		t.Errorf("screenshot: %v %v", st, err)
	}
}
