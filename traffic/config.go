// Package traffic is the engine of vlab's traffic client: the program that
// runs in a lab's guest and plays the incident's users or its abusive
// client (a URL mix at a rate or a concurrency, from one or several source
// addresses, slow clients), and writes what it saw every second to one
// stats file that probes read (stats.go documents the format).
//
// The requests are made by vegeta's attack engine, used as a library: its
// pacing, worker pool and connection handling are what a load tester needs
// and are well kept; vlab adds the URL mix, source addresses, slow clients,
// a pacer that does not catch up after the guest was paused, and the
// per-second statistics.
//
// This package is built into the guest binary (cmd/vlab-client) and must
// import nothing else of vlab's but what it needs: its bytes are part of
// every golden state that runs a client.
package traffic

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config is one client as the guest binary reads it (JSON). vlab writes it
// from the lab's trigger (labfile.Client).
type Config struct {
	// Name is the trigger's name; it names the stats file.
	Name    string   `json:"name"`
	Targets []Target `json:"targets"`
	// Rate is requests per second over all sources; 0 sends the next
	// request as soon as one of Concurrency is free.
	Rate float64 `json:"rate,omitempty"`
	// Concurrency bounds the requests in flight from each source.
	Concurrency int `json:"concurrency"`
	// Ramp raises the rate linearly from near zero to Rate over this long.
	Ramp        time.Duration     `json:"ramp,omitempty"`
	Timeout     time.Duration     `json:"timeout"`
	NoKeepAlive bool              `json:"no_keepalive,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	// Sources are the local addresses requests leave from, each its own
	// client with its own connections; empty: the kernel chooses.
	Sources []string `json:"sources,omitempty"`
	// Redirects is how many redirects are followed; 0 records the
	// redirect's own status.
	Redirects int `json:"redirects,omitempty"`
	// VerifyTLS checks servers' certificates against the guest's roots;
	// by default they are not checked (labs make their own).
	VerifyTLS bool `json:"verify_tls,omitempty"`
	// Slow, when set, holds connections open by sending a request's
	// headers a line at a time (slowloris).
	Slow *Slow `json:"slow,omitempty"`
}

// Target is one URL of the mix. The URL may hold choices that are drawn
// for every request: {a|b|c} picks one of the words, {1-40} a number in
// the range.
type Target struct {
	URL     string            `json:"url"`
	Method  string            `json:"method,omitempty"`
	Body    string            `json:"body,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Weight is the target's share of the requests (default 1).
	Weight int `json:"weight,omitempty"`
}

// Slow clients open Connections to URL and send one more header line
// every Interval, never finishing the request.
type Slow struct {
	URL         string        `json:"url"`
	Connections int           `json:"connections"`
	Interval    time.Duration `json:"interval"`
}

// Defaults of a client's settings.
const (
	DefaultConcurrency = 10
	DefaultTimeout     = 10 * time.Second
	DefaultSlowEvery   = 10 * time.Second
)

// Check reports the first problem that would keep the client from running.
// vlab checks the lab's own fields with their lines before this; Check
// guards the guest binary against a config written by hand.
func (c *Config) Check() error {
	if c.Name == "" {
		return errors.New("client config: name is missing")
	}
	if len(c.Targets) == 0 && c.Slow == nil {
		return fmt.Errorf("client %s: no targets and no slow clients", c.Name)
	}
	for i, t := range c.Targets {
		if _, err := parseTemplate(t.URL); err != nil {
			return fmt.Errorf("client %s: targets[%d].url: %v", c.Name, i, err)
		}
		if t.Weight < 0 {
			return fmt.Errorf("client %s: targets[%d].weight is negative", c.Name, i)
		}
	}
	if c.Rate < 0 || c.Concurrency < 0 || c.Ramp < 0 || c.Timeout < 0 || c.Redirects < 0 {
		return fmt.Errorf("client %s: rate, concurrency, ramp, timeout and redirects may not be negative", c.Name)
	}
	for _, s := range c.Sources {
		if net.ParseIP(s) == nil {
			return fmt.Errorf("client %s: source %q is not an IP address", c.Name, s)
		}
	}
	if s := c.Slow; s != nil {
		if err := CheckURL(s.URL); err != nil {
			return fmt.Errorf("client %s: slow.url: %v", c.Name, err)
		}
		if s.Connections <= 0 {
			return fmt.Errorf("client %s: slow.connections must be at least 1", c.Name)
		}
	}
	return nil
}

// fill sets the defaults.
func (c *Config) fill() {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Slow != nil && c.Slow.Interval == 0 {
		c.Slow.Interval = DefaultSlowEvery
	}
}

// CheckURL accepts an absolute http or https URL with a host.
func CheckURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: want an http:// or https:// URL", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("%q holds white space", s)
	}
	return nil
}
