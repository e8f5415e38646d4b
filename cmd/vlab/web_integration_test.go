//go:build integration

package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vlab-dev/vlab/internal/browsertest"
)

// traineePageInBrowser opens the trainee's page of instance id in a real
// headless chromium: the briefing, an inject revealed by a click on the
// page's button, and the lab's traffic drawn from its clients' statistics.
// The screenshot is kept in $VLAB_TEST_ARTIFACTS.
func traineePageInBrowser(t *testing.T, labs, lab, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sctx, stop := context.WithCancel(ctx)
	var errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(sctx, []string{"vlab", "--labs", labs, "web", lab, "-i", id, "--listen", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, &errb)
	}()
	defer func() { stop(); <-done }()
	url := "http://" + servingAddr(t, &errb, 30*time.Second) + "/"

	resp, err := http.Get(url + "traffic.svg")
	if err != nil {
		t.Fatal(err)
	}
	svg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(svg), "shoppers: answers a second") || strings.Count(string(svg), `fill="#2e7d32"`) < 5 {
		t.Errorf("the traffic graph has no shoppers' 2xx:\n%.800s", svg)
	}

	b, err := browsertest.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Open(ctx, url); err != nil {
		t.Fatal(err)
	}
	var before int
	if err := b.Eval(ctx, "document.querySelectorAll('.inject').length", &before); err != nil {
		t.Fatal(err)
	}
	if err := b.Click(ctx, "#next button"); err != nil {
		t.Fatalf("reveal the next inject: %v", err)
	}
	var after int
	var title string
	b.Eval(ctx, "document.querySelectorAll('.inject').length", &after)
	b.Eval(ctx, "document.querySelector('h1').textContent", &title)
	if after != before+1 || title == "" {
		t.Errorf("after the click: %d injects (before %d), title %q", after, before, title)
	}
	var width int
	if err := b.Eval(ctx, `new Promise(r => { const i = document.querySelector('#traffic');
		if (i.complete) r(i.naturalWidth); else { i.onload = () => r(i.naturalWidth); i.onerror = () => r(0); } })`, &width); err != nil || width == 0 {
		t.Errorf("the traffic graph in the page: width %d, %v", width, err)
	}
	shot := filepath.Join(artifactsDir(t, ""), "trainee-page.png")
	if err := b.Screenshot(ctx, shot); err != nil {
		t.Errorf("screenshot: %v", err)
	}
	t.Logf("the trainee's page: %s", shot)
}
