package labfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Probe checks over SSH whether the incident's symptom is gone. It is
// either a command probe (Command and Expect) or a typed probe: exactly one
// of HTTP, TCP, Systemd, DiskFree, Rate, SQL, ReplicationLag, each run by a
// fixed command vlab writes, so the lab gives no shell.
type Probe struct {
	Name    string `yaml:"name"`
	VM      string `yaml:"vm"`
	Command string `yaml:"command,omitempty"`
	Expect  Expect `yaml:"expect,omitempty"`

	HTTP           *HTTPProbe           `yaml:"http,omitempty"`
	TCP            *TCPProbe            `yaml:"tcp,omitempty"`
	Systemd        *SystemdProbe        `yaml:"systemd,omitempty"`
	DiskFree       *DiskFreeProbe       `yaml:"disk-free,omitempty"`
	Rate           *RateProbe           `yaml:"rate,omitempty"`
	SQL            *SQLProbe            `yaml:"sql,omitempty"`
	ReplicationLag *ReplicationLagProbe `yaml:"replication-lag,omitempty"`
	ErrorRate      *ErrorRateProbe      `yaml:"error-rate,omitempty"`
	Throughput     *ThroughputProbe     `yaml:"throughput,omitempty"`
	Latency        *LatencyProbe        `yaml:"latency,omitempty"`

	Guard bool `yaml:"guard,omitempty"`
	// Cause marks a probe that tells whether the cause is gone, not
	// whether users are served: it counts for resolved, not for mitigated.
	Cause    bool     `yaml:"cause,omitempty"`
	Samples  int      `yaml:"samples,omitempty"`
	Interval Duration `yaml:"interval,omitempty"`
	Hold     Duration `yaml:"hold,omitempty"`
}

// ProbeTypes names the typed probes' keys, in the order documented.
var ProbeTypes = []string{"http", "tcp", "systemd", "disk-free", "rate", "sql", "replication-lag", "error-rate", "throughput", "latency"}

// Type returns the key of the probe's type ("http", ...), "command" for a
// command probe, or "" when the probe sets none or several (validation
// reports it).
func (p *Probe) Type() string {
	var found []string
	for i, set := range []bool{p.HTTP != nil, p.TCP != nil, p.Systemd != nil, p.DiskFree != nil,
		p.Rate != nil, p.SQL != nil, p.ReplicationLag != nil, p.ErrorRate != nil, p.Throughput != nil, p.Latency != nil} {
		if set {
			found = append(found, ProbeTypes[i])
		}
	}
	if p.Command != "" {
		found = append(found, "command")
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

// Expect is what a probe's command must show.
type Expect struct {
	Exit  *int   `yaml:"exit,omitempty"`
	Match string `yaml:"match,omitempty"`
	Value *Value `yaml:"value,omitempty"`
}

// Value draws a number from a probe's output and compares it to Threshold.
type Value struct {
	Pattern   string  `yaml:"pattern"`
	Op        string  `yaml:"op"`
	Threshold float64 `yaml:"threshold"`
}

// ValueOps are the comparisons a probe value may use.
var ValueOps = []string{"<", "<=", ">", ">=", "==", "!="}

// HTTPProbe makes one HTTP request from the probe's VM with curl.
type HTTPProbe struct {
	// URL is as seen from the VM, e.g. http://127.0.0.1/api/health.
	URL    string `yaml:"url"`
	Method string `yaml:"method,omitempty"`
	// Status is a code (200), a class (2xx) or a range (200-399).
	Status string `yaml:"status,omitempty"`
	// Headers maps response header names to patterns their value must match.
	Headers map[string]string `yaml:"headers,omitempty"`
	// Body is a pattern the response body must match.
	Body string `yaml:"body,omitempty"`
	// Latency bounds the whole request, when set.
	Latency Duration `yaml:"latency,omitempty"`
	Timeout Duration `yaml:"timeout,omitempty"`
	// VerifyTLS checks an https server's certificate against the VM's
	// roots; labs make their own certificates, so by default it is not.
	VerifyTLS bool `yaml:"verify-tls,omitempty"`
}

// TCPProbe connects to Host:Port from the probe's VM.
type TCPProbe struct {
	Host string `yaml:"host,omitempty"`
	Port int    `yaml:"port"`
	// State is "open" (a connection is accepted) or "closed".
	State   string   `yaml:"state,omitempty"`
	Timeout Duration `yaml:"timeout,omitempty"`
}

// SystemdProbe reads a unit's state.
type SystemdProbe struct {
	Unit string `yaml:"unit"`
	// State is the ActiveState wanted: active, inactive or failed.
	State string `yaml:"state,omitempty"`
}

// DiskFreeProbe checks the space left on the filesystem holding Path.
type DiskFreeProbe struct {
	Path string `yaml:"path"`
	// Min is a size (500M, 2G) or a percentage (10%) that must stay free.
	Min string `yaml:"min"`
}

// RateProbe reads a counter twice, Over apart, and bounds its per-second
// rate. The counter is a number in File (the first group of Pattern, or
// the whole file), or a numeric systemd Property of Unit.
type RateProbe struct {
	File     string   `yaml:"file,omitempty"`
	Pattern  string   `yaml:"pattern,omitempty"`
	Unit     string   `yaml:"unit,omitempty"`
	Property string   `yaml:"property,omitempty"`
	Over     Duration `yaml:"over,omitempty"`
	Min      *float64 `yaml:"min,omitempty"`
	Max      *float64 `yaml:"max,omitempty"`
}

// SQLProbe runs a query with the MariaDB client in the VM and compares its
// single value with Equals, Match, Min and Max (those that are set).
type SQLProbe struct {
	Query    string   `yaml:"query"`
	Database string   `yaml:"database,omitempty"`
	Equals   *string  `yaml:"equals,omitempty"`
	Match    string   `yaml:"match,omitempty"`
	Min      *float64 `yaml:"min,omitempty"`
	Max      *float64 `yaml:"max,omitempty"`
}

// ReplicationLagProbe bounds a MariaDB replica's Seconds_Behind_Master.
type ReplicationLagProbe struct {
	Max *Duration `yaml:"max"`
}

// Defaults of typed probes, filled in by Load.
const (
	DefaultHTTPTimeout = 5 * time.Second
	DefaultTCPTimeout  = 3 * time.Second
	DefaultRateOver    = 5 * time.Second
)

func (p *Probe) applyDefaults() {
	if h := p.HTTP; h != nil {
		if h.Method == "" {
			h.Method = "GET"
		}
		if h.Status == "" {
			h.Status = "2xx"
		}
		if h.Timeout == 0 {
			h.Timeout = Duration(DefaultHTTPTimeout)
		}
	}
	if t := p.TCP; t != nil {
		if t.Host == "" {
			t.Host = "127.0.0.1"
		}
		if t.State == "" {
			t.State = "open"
		}
		if t.Timeout == 0 {
			t.Timeout = Duration(DefaultTCPTimeout)
		}
	}
	if s := p.Systemd; s != nil && s.State == "" {
		s.State = "active"
	}
	if r := p.Rate; r != nil && r.Over == 0 {
		r.Over = Duration(DefaultRateOver)
	}
}

// ParseStatus reads an HTTP status expectation: a code ("200"), a class
// ("2xx") or an inclusive range ("200-399"), and returns its bounds.
func ParseStatus(s string) (lo, hi int, err error) {
	bad := fmt.Errorf("%q is not a status like 200, 2xx or 200-399", s)
	code := func(t string) (int, bool) {
		n, err := strconv.Atoi(t)
		return n, err == nil && n >= 100 && n <= 599 && len(t) == 3
	}
	switch {
	case len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5':
		lo = int(s[0]-'0') * 100
		return lo, lo + 99, nil
	case strings.Contains(s, "-"):
		a, b, _ := strings.Cut(s, "-")
		lo, ok1 := code(strings.TrimSpace(a))
		hi, ok2 := code(strings.TrimSpace(b))
		if !ok1 || !ok2 || lo > hi {
			return 0, 0, bad
		}
		return lo, hi, nil
	}
	n, ok := code(s)
	if !ok {
		return 0, 0, bad
	}
	return n, n, nil
}

// ParseFree reads a disk-free minimum: a size in bytes with an optional
// K, M, G or T suffix (powers of 1024, as df -h prints them), or a
// percentage such as "10%". Exactly one of bytes and percent is set.
func ParseFree(s string) (bytes uint64, percent float64, err error) {
	t := strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(t, "%"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f <= 0 || f >= 100 || math.IsNaN(f) {
			return 0, 0, fmt.Errorf("%q is not a percentage between 0 and 100", s)
		}
		return 0, f, nil
	}
	mult := 1.0
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "i")
	if n := len(t); n > 0 {
		if i := strings.IndexByte("KMGT", t[n-1]); i >= 0 {
			mult = math.Pow(1024, float64(i+1))
			t = t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || f <= 0 || f*mult > 1<<62 || math.IsNaN(f) {
		return 0, 0, fmt.Errorf("%q is not a size like 500M or 2G, or a percentage like 10%%", s)
	}
	return uint64(f * mult), 0, nil
}
