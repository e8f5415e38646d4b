package traffic

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// StatsDir is where a client writes its statistics in the guest: one file
// per client, StatsDir/<name>.json (see Stats).
const StatsDir = "/run/vlab/clients"

// StatsPath is the stats file of the client called name.
func StatsPath(name string) string { return filepath.Join(StatsDir, name+".json") }

// Stats is the stats file: rewritten whole (atomically) every second, it
// holds the last KeepSeconds seconds of the client's requests, one entry
// per second of the guest's wall clock, oldest first. A second appears
// only once it is over, so every entry is complete.
//
//	{"format": 1, "client": "shoppers", "written": 1764680000.25,
//	 "latency_ms": [5, 10, 25, ...],
//	 "seconds": [{"t": 1764679999, "requests": 9, "codes": {"200": 8, "503": 1},
//	              "errors": {"timeout": 0}, "latency": [0, 3, 5, 1, 0, ...], "slow_open": 0}]}
//
// Latency holds, per bucket, the responses (and failures) whose time to
// the end of the response was at most LatencyBounds[i] milliseconds; the
// last bucket has those above the last bound. Codes counts HTTP statuses,
// Errors counts requests that got none, by kind (ErrorKinds).
type Stats struct {
	Format  int       `json:"format"`
	Client  string    `json:"client"`
	Written float64   `json:"written"`
	Bounds  []float64 `json:"latency_ms"`
	Seconds []Second  `json:"seconds"`
}

// Second is one second of a client's requests, counted when they ended.
type Second struct {
	T        int64          `json:"t"`
	Requests int            `json:"requests"`
	Codes    map[string]int `json:"codes,omitempty"`
	Errors   map[string]int `json:"errors,omitempty"`
	Latency  []int          `json:"latency"`
	// SlowOpen is the slow clients' connections open at the second's end.
	SlowOpen int `json:"slow_open,omitempty"`
}

// StatsFormat is the version of the stats file's layout.
const StatsFormat = 1

// KeepSeconds is how many seconds the stats file holds.
const KeepSeconds = 150

// LatencyBounds are the upper bounds of the latency buckets, milliseconds.
var LatencyBounds = []float64{5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}

// ErrorKinds are the kinds of failed requests, as Errors counts them.
var ErrorKinds = []string{"timeout", "refused", "reset", "eof", "tls", "dns", "redirects", "other"}

// errorKind sorts a failed request's error by its message.
func errorKind(msg string) string {
	// net/http's errors start with the method and the quoted URL, which
	// may hold any word: sort by what follows.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	m := strings.ToLower(msg)
	switch {
	case strings.Contains(m, "timeout") || strings.Contains(m, "deadline exceeded"):
		return "timeout"
	case strings.Contains(m, "connection refused"):
		return "refused"
	case strings.Contains(m, "connection reset") || strings.Contains(m, "broken pipe"):
		return "reset"
	case strings.Contains(m, "eof"):
		return "eof"
	case strings.Contains(m, "tls") || strings.Contains(m, "x509") || strings.Contains(m, "certificate"):
		return "tls"
	case strings.Contains(m, "no such host") || strings.Contains(m, "lookup "):
		return "dns"
	case strings.Contains(m, "redirect"):
		return "redirects"
	}
	return "other"
}

// bucket is the latency bucket of d.
func bucket(d time.Duration) int {
	ms := float64(d) / float64(time.Millisecond)
	i := sort.SearchFloat64s(LatencyBounds, ms)
	return i // len(LatencyBounds) is the overflow bucket
}

// MaxStatsSize bounds what a reader takes of a stats file: a trainee who
// is root where the client runs may write anything there.
const MaxStatsSize = 4 << 20

// ParseStats reads a stats file and checks its layout.
func ParseStats(b []byte) (*Stats, error) {
	if len(b) > MaxStatsSize {
		return nil, fmt.Errorf("stats file larger than %d bytes", MaxStatsSize)
	}
	var s Stats
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("stats file: %v", err)
	}
	if s.Format != StatsFormat {
		return nil, fmt.Errorf("stats file format %d, want %d", s.Format, StatsFormat)
	}
	if len(s.Bounds) == 0 || math.IsNaN(s.Written) {
		return nil, fmt.Errorf("stats file has no latency bounds or no time written")
	}
	for _, sec := range s.Seconds {
		if len(sec.Latency) != len(s.Bounds)+1 || sec.Requests < 0 {
			return nil, fmt.Errorf("stats file: second %d has %d latency buckets, want %d", sec.T, len(sec.Latency), len(s.Bounds)+1)
		}
	}
	return &s, nil
}

// Age is how long ago, by the clock now, the file was written.
func (s *Stats) Age(now time.Time) time.Duration {
	w := time.Unix(0, int64(s.Written*1e9))
	return now.Sub(w)
}

// Summary is what a window of seconds adds up to.
type Summary struct {
	Seconds  int // seconds in the window that the file holds
	Requests int
	Codes    map[string]int
	Errors   map[string]int
	latency  []int
	bounds   []float64
}

// Of is one second of s as a summary: its codes, errors and latency
// quantiles, for figures by the second (vlab web's graph).
func (s *Stats) Of(sec Second) Summary {
	return Summary{Seconds: 1, Requests: sec.Requests, Codes: sec.Codes, Errors: sec.Errors, latency: sec.Latency, bounds: s.Bounds}
}

// Window adds up the complete seconds of the last d before the file was
// written.
func (s *Stats) Window(d time.Duration) Summary {
	sum := Summary{Codes: map[string]int{}, Errors: map[string]int{}, latency: make([]int, len(s.Bounds)+1), bounds: s.Bounds}
	end := int64(math.Floor(s.Written)) // the second being counted is not over
	from := end - int64((d+time.Second-1)/time.Second)
	for _, sec := range s.Seconds {
		if sec.T < from || sec.T >= end {
			continue
		}
		sum.Seconds++
		sum.Requests += sec.Requests
		for k, v := range sec.Codes {
			sum.Codes[k] += v
		}
		for k, v := range sec.Errors {
			sum.Errors[k] += v
		}
		for i, v := range sec.Latency {
			sum.latency[i] += v
		}
	}
	return sum
}

// Quantile estimates the latency under which q (0..1) of the window's
// requests ended, by linear interpolation inside the bucket where q is
// reached (as Prometheus' histogram_quantile does). ok is false when the
// window holds no requests; beyond the last bound it is +Inf.
func (s Summary) Quantile(q float64) (d time.Duration, ok bool) {
	total := 0
	for _, v := range s.latency {
		total += v
	}
	if total == 0 {
		return 0, false
	}
	rank := q * float64(total)
	seen := 0.0
	for i, v := range s.latency {
		if v == 0 || seen+float64(v) < rank {
			seen += float64(v)
			continue
		}
		if i >= len(s.bounds) {
			break
		}
		lo := 0.0
		if i > 0 {
			lo = s.bounds[i-1]
		}
		ms := lo + (s.bounds[i]-lo)*(rank-seen)/float64(v)
		return time.Duration(ms * float64(time.Millisecond)), true
	}
	return time.Duration(math.MaxInt64), true
}

// String gives the window's codes and errors in one line, most first.
func (s Summary) String() string {
	type kv struct {
		k string
		v int
	}
	var all []kv
	for k, v := range s.Codes {
		if v > 0 {
			all = append(all, kv{k, v})
		}
	}
	for k, v := range s.Errors {
		if v > 0 {
			all = append(all, kv{k, v})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v || all[i].v == all[j].v && all[i].k < all[j].k })
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = e.k + "=" + strconv.Itoa(e.v)
	}
	return strings.Join(parts, " ")
}

// writeStats replaces the file at path with s, atomically.
func writeStats(path string, s *Stats) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
