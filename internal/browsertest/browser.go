// Package browsertest drives a real headless chromium for tests of vlab's
// web pages, through the DevTools protocol over its WebSocket: open a
// page, click, read the document, take a screenshot. Chromium runs with
// its own empty profile and no network but what the page asks for; tests
// run it inside their own network namespace.
package browsertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/websocket"
)

// Browser is one headless chromium and a page in it.
type Browser struct {
	cmd     *exec.Cmd
	ws      *websocket.Conn
	session string

	mu      sync.Mutex
	nextID  int
	pending map[int]chan reply
	closed  error       // why the connection ended; calls fail at once after it
	events  chan string // methods of the page's events, as they come
}

type reply struct {
	Result json.RawMessage
	Err    error
}

// Find returns the chromium binary, or an error saying how to install it.
func Find() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium: `apt-get install chromium` (scripts/test installs it)")
}

// Start starts chromium headless with a profile in dir and opens a blank
// page in it.
func Start(ctx context.Context, dir string) (*Browser, error) {
	bin, err := Find()
	if err != nil {
		return nil, err
	}
	profile := filepath.Join(dir, "profile")
	cmd := exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-extensions", "--disable-background-networking", "--window-size=1000,1400",
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=http://127.0.0.1",
		"--user-data-dir="+profile, "about:blank")
	log, err := os.Create(filepath.Join(dir, "chromium.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group: Close ends the renderers and helpers too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &Browser{cmd: cmd, pending: map[int]chan reply{}, events: make(chan string, 256)}
	// Chromium writes its port and browser path once it listens.
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == ""; {
		if data, err := os.ReadFile(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			if lines := strings.Split(strings.TrimSpace(string(data)), "\n"); len(lines) == 2 {
				url = "ws://127.0.0.1:" + lines[0] + lines[1]
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			b.Close()
			return nil, fmt.Errorf("chromium did not open its DevTools port in 30s; see %s", log.Name())
		}
		time.Sleep(100 * time.Millisecond)
	}
	cfg, err := websocket.NewConfig(url, "http://127.0.0.1")
	if err != nil {
		b.Close()
		return nil, err
	}
	cfg.Dialer = &net.Dialer{Timeout: 10 * time.Second}
	if b.ws, err = websocket.DialConfig(cfg); err != nil {
		b.Close()
		return nil, err
	}
	go b.read()
	var target struct{ TargetID string }
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.Close()
		return nil, err
	}
	var attached struct{ SessionID string }
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		b.Close()
		return nil, err
	}
	b.session = attached.SessionID
	if err := b.call(ctx, b.session, "Page.enable", nil, nil); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// read delivers replies to their calls and page events to b.events.
func (b *Browser) read() {
	for {
		var msg struct {
			ID     int
			Method string
			Result json.RawMessage
			Error  *struct{ Message string }
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			b.mu.Lock()
			b.closed = fmt.Errorf("chromium: %w", err)
			for id, ch := range b.pending {
				ch <- reply{Err: fmt.Errorf("chromium: %w", err)}
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		if msg.ID == 0 {
			select {
			case b.events <- msg.Method:
			default:
			}
			continue
		}
		b.mu.Lock()
		ch := b.pending[msg.ID]
		delete(b.pending, msg.ID)
		b.mu.Unlock()
		if ch != nil {
			r := reply{Result: msg.Result}
			if msg.Error != nil {
				r.Err = errors.New(msg.Error.Message)
			}
			ch <- r
		}
	}
}

func (b *Browser) call(ctx context.Context, session, method string, params any, out any) error {
	b.mu.Lock()
	if b.closed != nil {
		b.mu.Unlock()
		return b.closed
	}
	b.nextID++
	id := b.nextID
	ch := make(chan reply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	if err := websocket.JSON.Send(b.ws, msg); err != nil {
		return err
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return fmt.Errorf("%s: %w", method, r.Err)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// drain forgets the events that came before an action.
func (b *Browser) drain() {
	for {
		select {
		case <-b.events:
		default:
			return
		}
	}
}

// waitLoad waits for the page's next load event.
func (b *Browser) waitLoad(ctx context.Context) error {
	for {
		select {
		case m := <-b.events:
			if m == "Page.loadEventFired" {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for the page to load: %w", ctx.Err())
		}
	}
}

// Open loads url and waits until it has loaded.
func (b *Browser) Open(ctx context.Context, url string) error {
	b.drain()
	if err := b.call(ctx, b.session, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return err
	}
	return b.waitLoad(ctx)
}

// Click clicks the element the CSS selector finds, and waits for the
// page it leads to.
func (b *Browser) Click(ctx context.Context, selector string) error {
	var found bool
	b.drain()
	if err := b.Eval(ctx, fmt.Sprintf("(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true })()", selector), &found); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("no element %s on the page", selector)
	}
	return b.waitLoad(ctx)
}

// Eval evaluates a JavaScript expression in the page into out.
func (b *Browser) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result           struct{ Value json.RawMessage }
		ExceptionDetails *struct{ Text string }
	}
	if err := b.call(ctx, b.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("%s: %s", expr, r.ExceptionDetails.Text)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// Screenshot writes the whole page as a PNG to path.
func (b *Browser) Screenshot(ctx context.Context, path string) error {
	var r struct{ Data string }
	if err := b.call(ctx, b.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// Close ends chromium and every process it started, so that its profile
// can be removed.
func (b *Browser) Close() {
	if b.ws != nil {
		b.ws.Close()
	}
	if b.cmd.Process == nil {
		return
	}
	pg := -b.cmd.Process.Pid
	syscall.Kill(pg, syscall.SIGKILL)
	b.cmd.Wait()
	for i := 0; i < 100 && syscall.Kill(pg, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}
