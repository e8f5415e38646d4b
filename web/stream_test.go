package web

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeStream: two requests on one connection of a reader and a
// writer (a trainee's SSH session) are both answered, and the server ends
// when the reader does; a form posted in another process with the same
// secret is taken, one with another's token is not.
func TestServeStream(t *testing.T) {
	src := newSource(t)
	token := TokenFrom([]byte("instance key"))
	in := "GET / HTTP/1.1\r\nHost: 127.0.0.1:7070\r\n\r\n" +
		"GET /traffic.svg HTTP/1.1\r\nHost: 127.0.0.1:7070\r\n\r\n"
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- ServeStream(context.Background(), NewTrainee(src).WithToken(token), strings.NewReader(in), &out)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ServeStream did not end when its reader did")
	}
	br := bufio.NewReader(&out)
	var bodies []string
	for range 2 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v\n%s", len(bodies)+1, err, out.String())
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("response %d: %s\n%s", len(bodies)+1, resp.Status, b)
		}
		bodies = append(bodies, string(b))
	}
	if !strings.Contains(bodies[0], "tea-alice") || !strings.Contains(bodies[1], "<svg") {
		t.Errorf("page and graph: %.200q / %.200q", bodies[0], bodies[1])
	}
	m := regexp.MustCompile(`name="token" value="([0-9a-f]+)"`).FindStringSubmatch(bodies[0])
	if m == nil || m[1] != token {
		t.Fatalf("the page's token %v, want %s", m, token)
	}

	post := func(tok string) string {
		form := url.Values{"token": {tok}}.Encode()
		req := "POST /reveal HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
			"Content-Length: " + strconv.Itoa(len(form)) + "\r\nConnection: close\r\n\r\n" + form
		var out bytes.Buffer
		if err := ServeStream(context.Background(), NewTrainee(src).WithToken(token), strings.NewReader(req), &out); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(&out), nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Status
	}
	if got := post(TokenFrom([]byte("another instance"))); !strings.HasPrefix(got, "403") {
		t.Errorf("a form with another instance's token: %s, want 403", got)
	}
	if got := post(token); !strings.HasPrefix(got, "303") {
		t.Errorf("a form from another process of the same page: %s, want 303", got)
	}
}
