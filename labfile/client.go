package labfile

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vlab-dev/vlab/traffic"
)

// Client is a trigger played by vlab's traffic client instead of a
// command: HTTP(S) requests from a URL mix at a rate or a concurrency,
// from one or several source addresses, and slow clients. It writes
// per-second statistics that the error-rate, throughput and latency probes
// read (docs/LAB-FORMAT.md, Clients).
type Client struct {
	Targets []ClientTarget `yaml:"targets,omitempty"`
	// Rate is requests per second over all sources; 0 sends the next as
	// soon as one of Concurrency is free.
	Rate        float64           `yaml:"rate,omitempty"`
	Concurrency int               `yaml:"concurrency,omitempty"`
	Ramp        Duration          `yaml:"ramp,omitempty"`
	Timeout     Duration          `yaml:"timeout,omitempty"`
	KeepAlive   *bool             `yaml:"keep-alive,omitempty"`
	Headers     map[string]string `yaml:"headers,omitempty"`
	Sources     []string          `yaml:"sources,omitempty"`
	Redirects   int               `yaml:"redirects,omitempty"`
	VerifyTLS   bool              `yaml:"verify-tls,omitempty"`
	Slow        *SlowClients      `yaml:"slow,omitempty"`
}

// ClientTarget is one URL of a client's mix; {a|b} and {1-40} in the URL
// are drawn for each request.
type ClientTarget struct {
	URL     string            `yaml:"url"`
	Method  string            `yaml:"method,omitempty"`
	Body    string            `yaml:"body,omitempty"`
	Headers map[string]string `yaml:"headers,omitempty"`
	Weight  int               `yaml:"weight,omitempty"`
}

// SlowClients hold Connections open to URL, sending a header line every
// Interval (slowloris).
type SlowClients struct {
	URL         string   `yaml:"url"`
	Connections int      `yaml:"connections"`
	Interval    Duration `yaml:"interval,omitempty"`
}

// Trigger roles: part of the incident (the trainee may stop it as a fix) or
// users' traffic (it must keep flowing: check adds a guard).
const (
	RoleIncident = "incident"
	RoleTraffic  = "traffic"
)

// ErrorRateProbe bounds the share of a client's requests that failed
// (by default: no answer, or a 5xx) over the last Window.
type ErrorRateProbe struct {
	Client string   `yaml:"client"`
	Window Duration `yaml:"window,omitempty"`
	// Max is a percentage, e.g. "1%".
	Max string `yaml:"max"`
	// Count lists what is a failure: status classes (5xx), codes (429) and
	// "error" (no answer).
	Count []string `yaml:"count,omitempty"`
}

// ThroughputProbe bounds a client's answered requests per second over the
// last Window, counting only Codes (a class such as 2xx) when set.
type ThroughputProbe struct {
	Client string   `yaml:"client"`
	Window Duration `yaml:"window,omitempty"`
	Codes  string   `yaml:"codes,omitempty"`
	Min    *float64 `yaml:"min,omitempty"`
	Max    *float64 `yaml:"max,omitempty"`
}

// LatencyProbe bounds a quantile of a client's request times over the
// last Window.
type LatencyProbe struct {
	Client   string   `yaml:"client"`
	Window   Duration `yaml:"window,omitempty"`
	Quantile float64  `yaml:"quantile,omitempty"` // percent, e.g. 95
	Max      Duration `yaml:"max"`
}

// Defaults of clients and their probes, filled in by Load.
const (
	DefaultClientWindow   = 10 * time.Second
	DefaultLatencyPercent = 95
	maxClientWindow       = 2 * time.Minute
)

// DefaultErrorCount is what an error-rate probe counts as failed.
var DefaultErrorCount = []string{"5xx", "error"}

// ParsePercent reads "1%" or "0.5 %" as a fraction (0.01, 0.005).
func ParsePercent(s string) (float64, error) {
	t, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if !ok || err != nil || f < 0 || f > 100 {
		return 0, fmt.Errorf("%q is not a percentage like 1%% or 0.5%%", s)
	}
	return f / 100, nil
}

// clientOf returns the trigger called name that has a client.
func (l *Lab) clientOf(name string) (*Trigger, bool) {
	for i := range l.Triggers {
		if l.Triggers[i].Name == name && l.Triggers[i].Client != nil {
			return &l.Triggers[i], true
		}
	}
	return nil, false
}

// clientProbe returns the client a stats probe reads and its window.
func (p *Probe) clientProbe() (client string, window *Duration) {
	switch {
	case p.ErrorRate != nil:
		return p.ErrorRate.Client, &p.ErrorRate.Window
	case p.Throughput != nil:
		return p.Throughput.Client, &p.Throughput.Window
	case p.Latency != nil:
		return p.Latency.Client, &p.Latency.Window
	}
	return "", nil
}

// fillClientDefaults gives stats probes their window and their client's VM.
func (l *Lab) fillClientDefaults() {
	for i := range l.Probes {
		p := &l.Probes[i]
		name, window := p.clientProbe()
		if window == nil {
			continue
		}
		if *window == 0 {
			*window = Duration(DefaultClientWindow)
		}
		if t, ok := l.clientOf(name); ok && p.VM == "" {
			p.VM = t.VM
		}
		if p.ErrorRate != nil && p.ErrorRate.Count == nil {
			p.ErrorRate.Count = DefaultErrorCount
		}
		if p.Latency != nil && p.Latency.Quantile == 0 {
			p.Latency.Quantile = DefaultLatencyPercent
		}
	}
	for i := range l.Triggers {
		if l.Triggers[i].Role == "" {
			l.Triggers[i].Role = RoleIncident
		}
	}
}

// Guards are the probes check adds to the lab's own: for each trigger whose
// role is users' traffic, that its client keeps getting answers (over 10 s,
// or the client's timeout when longer).
func (l *Lab) Guards() []Probe {
	var out []Probe
	for _, t := range l.Triggers {
		if t.Role != RoleTraffic || t.Client == nil {
			continue
		}
		lo := 0.001 // any answer at all in the window
		// A client whose requests take long (long-polls) answers less
		// often than every few seconds: the window spans one request.
		window := min(max(DefaultClientWindow, t.Client.Timeout.D()), maxClientWindow)
		out = append(out, Probe{Name: t.Name + "-keeps-flowing", VM: t.VM, Guard: true, Samples: 1, Interval: Duration(time.Second),
			Throughput: &ThroughputProbe{Client: t.Name, Window: Duration(window), Min: &lo}})
	}
	return out
}

func (v *validator) client(p path, t *Trigger) {
	c := t.Client
	if len(c.Targets) == 0 && c.Slow == nil {
		v.errf(p, "give targets, slow or both")
	}
	for i, tg := range c.Targets {
		tp := p.with("targets", i)
		if err := checkTemplateURL(tg.URL); err != nil {
			v.errf(tp.with("url"), "%v", err)
		}
		if tg.Method != "" && !slices.Contains(httpMethods, tg.Method) {
			v.errf(tp.with("method"), "%q is not one of %s", tg.Method, strings.Join(httpMethods, ", "))
		}
		if tg.Weight < 0 || tg.Weight > 1000 {
			v.errf(tp.with("weight"), "%d is out of range 0..1000", tg.Weight)
		}
		v.headers(tp.with("headers"), tg.Headers)
	}
	v.headers(p.with("headers"), c.Headers)
	if c.Rate < 0 || c.Rate > 10000 || c.Rate > 0 && c.Rate < 0.01 {
		v.errf(p.with("rate"), "%g is out of range: 0 (as fast as concurrency allows) or 0.01..10000 requests a second", c.Rate)
	}
	if c.Concurrency < 0 || c.Concurrency > 1000 {
		v.errf(p.with("concurrency"), "%d is out of range 0..1000", c.Concurrency)
	}
	if c.Timeout < 0 || c.Timeout.D() > 5*time.Minute {
		v.errf(p.with("timeout"), "%s is out of range 0..5m", c.Timeout.D())
	}
	if c.Redirects < 0 || c.Redirects > 20 {
		v.errf(p.with("redirects"), "%d is out of range 0..20", c.Redirects)
	}
	for i, s := range c.Sources {
		if net.ParseIP(s) == nil {
			v.errf(p.with("sources", i), "%q is not an IP address", s)
		}
	}
	if s := c.Slow; s != nil {
		if err := traffic.CheckURL(s.URL); err != nil || strings.ContainsAny(s.URL, "{}") {
			v.errf(p.with("slow", "url"), "want a plain http:// or https:// URL")
		}
		if s.Interval != 0 && s.Interval.D() < 100*time.Millisecond {
			v.errf(p.with("slow", "interval"), "%s is less than 100ms: slow clients send a line now and then", s.Interval.D())
		}
		if s.Connections < 1 || s.Connections > 10000 {
			v.errf(p.with("slow", "connections"), "%d is out of range 1..10000", s.Connections)
		}
	}
}

func (v *validator) headers(p path, h map[string]string) {
	for k, val := range h {
		if !headerName.MatchString(k) || strings.ContainsAny(val, "\r\n") {
			v.errf(p, "header %q: want a header name and a one-line value", k)
		}
	}
}

// clientStatsProbe checks an error-rate, throughput or latency probe.
func (v *validator) clientStatsProbe(p path, key string, pr *Probe) {
	name, window := pr.clientProbe()
	kp := p.with(key)
	t, ok := v.lab.clientOf(name)
	if !ok {
		var names []string
		for _, t := range v.lab.Triggers {
			if t.Client != nil {
				names = append(names, t.Name)
			}
		}
		v.errf(kp.with("client"), "%q is not a trigger with a client; those are: %s", name, strings.Join(names, ", "))
	} else if pr.VM != t.VM {
		v.errf(p.with("vm"), "%q: client %s runs in vm %s; leave vm out or name that one", pr.VM, name, t.VM)
	}
	if *window < Duration(time.Second) || window.D() > maxClientWindow {
		v.errf(kp.with("window"), "%s is out of range 1s..%s", window.D(), maxClientWindow)
	}
	switch {
	case pr.ErrorRate != nil:
		if _, err := ParsePercent(pr.ErrorRate.Max); err != nil {
			v.errf(kp.with("max"), "%v", err)
		}
		for i, c := range pr.ErrorRate.Count {
			if _, _, err := ParseStatus(c); err != nil && c != "error" {
				v.errf(kp.with("count", i), "%q is not a status (503, 5xx) or error", c)
			}
		}
	case pr.Throughput != nil:
		if pr.Throughput.Min == nil && pr.Throughput.Max == nil {
			v.errf(kp, "say what rate is expected: at least one of min, max (answers per second)")
		}
		if c := pr.Throughput.Codes; c != "" {
			if _, _, err := ParseStatus(c); err != nil {
				v.errf(kp.with("codes"), "%v", err)
			}
		}
		v.bounds(kp, pr.Throughput.Min, pr.Throughput.Max)
	case pr.Latency != nil:
		if q := pr.Latency.Quantile; q <= 0 || q > 100 {
			v.errf(kp.with("quantile"), "%g is out of range: a percentile above 0, at most 100", q)
		}
		if pr.Latency.Max <= 0 {
			v.errf(kp.with("max"), "missing; the most time allowed, e.g. 500ms")
		}
	}
}

// checkTemplateURL checks a client URL with the client's own parser.
func checkTemplateURL(s string) error { return traffic.CheckURLTemplate(s) }
