package labfile

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// maxProbeTimeout bounds the timeouts a typed probe may ask for: a probe
// run is cut off after a minute anyway.
const maxProbeTimeout = time.Minute

var (
	unitName     = regexp.MustCompile(`^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]{0,255}$`)
	hostName     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$`)
	headerName   = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]{1,100}$`)
	propertyName = regexp.MustCompile(`^[A-Z][A-Za-z0-9]{0,99}$`)
	databaseName = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}$`)
	httpMethods  = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}
)

func (v *validator) probes() {
	l := v.lab
	v.unique(path{"probes"}, len(l.Probes), func(i int) string { return l.Probes[i].Name })
	for i := range l.Probes {
		pr := &l.Probes[i]
		p := path{"probes", i}
		v.vmRef(p.with("vm"), pr.VM)
		switch t := pr.Type(); t {
		case "":
			v.errf(p, "a probe has exactly one of command, %s", strings.Join(ProbeTypes, ", "))
		case "command":
			v.commandProbe(p, pr)
		default:
			if pr.Expect != (Expect{}) {
				v.errf(p.with("expect"), "only for command probes; a %s probe says what it wants in its own fields", t)
			}
			v.typedProbe(p, pr)
		}
		if pr.Cause && pr.Guard {
			v.errf(p.with("cause"), "a probe is a guard or a cause, not both")
		}
		if pr.Samples < 1 || pr.Samples > 10000 {
			v.errf(p.with("samples"), "%d is out of range 1..10000", pr.Samples)
		}
		if pr.Hold < 0 || pr.Interval <= 0 {
			v.errf(p.with("interval"), "interval must be positive and hold not negative")
		}
	}
}

func (v *validator) commandProbe(p path, pr *Probe) {
	if strings.TrimSpace(pr.Command) == "" {
		v.errf(p.with("command"), "missing")
	}
	e := pr.Expect
	if e.Exit == nil && e.Match == "" && e.Value == nil {
		v.errf(p.with("expect"), "give at least one of exit, match, value")
	}
	if e.Match != "" {
		v.pattern(p.with("expect", "match"), e.Match, false)
	}
	if e.Value != nil {
		v.value(p.with("expect", "value"), e.Value)
	}
}

func (v *validator) typedProbe(p path, pr *Probe) {
	switch {
	case pr.HTTP != nil:
		v.httpProbe(p.with("http"), pr.HTTP)
	case pr.TCP != nil:
		v.tcpProbe(p.with("tcp"), pr.TCP)
	case pr.Systemd != nil:
		v.unit(p.with("systemd", "unit"), pr.Systemd.Unit)
		v.oneOf(p.with("systemd", "state"), pr.Systemd.State, "active", "inactive", "failed")
	case pr.DiskFree != nil:
		v.guestPath(p.with("disk-free", "path"), pr.DiskFree.Path)
		if _, _, err := ParseFree(pr.DiskFree.Min); err != nil {
			v.errf(p.with("disk-free", "min"), "%v", err)
		}
	case pr.Rate != nil:
		v.rateProbe(p.with("rate"), pr.Rate)
	case pr.SQL != nil:
		v.sqlProbe(p.with("sql"), pr.SQL)
	case pr.ReplicationLag != nil:
		if pr.ReplicationLag.Max == nil {
			v.errf(p.with("replication-lag", "max"), "missing; the most Seconds_Behind_Master allowed, e.g. 30s")
		}
	case pr.ErrorRate != nil, pr.Throughput != nil, pr.Latency != nil:
		v.clientStatsProbe(p, pr.Type(), pr)
	}
}

func (v *validator) httpProbe(p path, h *HTTPProbe) {
	u, err := url.Parse(h.URL)
	switch {
	case h.URL == "":
		v.errf(p.with("url"), "missing; a URL as seen from the VM, e.g. http://127.0.0.1/health")
	case err != nil || strings.ContainsAny(h.URL, " \t\r\n"):
		v.errf(p.with("url"), "%q is not a URL", h.URL)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		v.errf(p.with("url"), "%q must be an http:// or https:// URL with a host", h.URL)
	}
	v.oneOf(p.with("method"), h.Method, httpMethods...)
	if _, _, err := ParseStatus(h.Status); err != nil {
		v.errf(p.with("status"), "%v", err)
	}
	for name, pat := range h.Headers {
		if !headerName.MatchString(name) {
			v.errf(p.with("headers", name), "%q is not a header name", name)
		}
		v.pattern(p.with("headers", name), pat, false)
	}
	if h.Body != "" {
		v.pattern(p.with("body"), h.Body, false)
		if h.Method == "HEAD" {
			v.errf(p.with("body"), "a HEAD request gets no body; use GET")
		}
	}
	v.timeout(p.with("timeout"), h.Timeout)
	if h.Latency < 0 || h.Latency > h.Timeout {
		v.errf(p.with("latency"), "%s must be between 0 and the timeout (%s)", h.Latency.D(), h.Timeout.D())
	}
}

func (v *validator) tcpProbe(p path, t *TCPProbe) {
	if !hostName.MatchString(t.Host) {
		v.errf(p.with("host"), "%q is not a host name or IP address", t.Host)
	}
	if t.Port < 1 || t.Port > 65535 {
		v.errf(p.with("port"), "%d is out of range 1..65535", t.Port)
	}
	v.oneOf(p.with("state"), t.State, "open", "closed")
	v.timeout(p.with("timeout"), t.Timeout)
}

func (v *validator) rateProbe(p path, r *RateProbe) {
	if (r.File == "") == (r.Unit == "") {
		v.errf(p, "give exactly one of file, unit")
	}
	if r.File != "" {
		v.guestPath(p.with("file"), r.File)
	}
	if r.Pattern != "" {
		if r.File == "" {
			v.errf(p.with("pattern"), "only with file")
		}
		v.pattern(p.with("pattern"), r.Pattern, true)
	}
	if r.Unit != "" {
		v.unit(p.with("unit"), r.Unit)
		if !propertyName.MatchString(r.Property) {
			v.errf(p.with("property"), "%q is not a systemd property such as NRestarts or IPIngressBytes", r.Property)
		}
	} else if r.Property != "" {
		v.errf(p.with("property"), "only with unit")
	}
	if r.Over <= 0 || r.Over.D() > 10*time.Minute {
		v.errf(p.with("over"), "%s is out of range: more than 0s, at most 10m", r.Over.D())
	}
	if r.Min == nil && r.Max == nil {
		v.errf(p, "say what rate is expected: at least one of min, max (per second)")
	}
	v.bounds(p, r.Min, r.Max)
}

func (v *validator) sqlProbe(p path, s *SQLProbe) {
	if strings.TrimSpace(s.Query) == "" {
		v.errf(p.with("query"), "missing; a query whose answer is one value")
	}
	if s.Database != "" && !databaseName.MatchString(s.Database) {
		v.errf(p.with("database"), "%q is not a database name", s.Database)
	}
	if s.Match != "" {
		v.pattern(p.with("match"), s.Match, false)
	}
	if s.Equals == nil && s.Match == "" && s.Min == nil && s.Max == nil {
		v.errf(p, "say what value is expected: at least one of equals, match, min, max")
	}
	v.bounds(p, s.Min, s.Max)
}

// bounds checks that min, when set with max, is not above it.
func (v *validator) bounds(p path, lo, hi *float64) {
	if lo != nil && hi != nil && *lo > *hi {
		v.errf(p.with("min"), "%g is more than max %g", *lo, *hi)
	}
}

func (v *validator) timeout(p path, d Duration) {
	if d <= 0 || d.D() > maxProbeTimeout {
		v.errf(p, "%s is out of range: more than 0s, at most %s", d.D(), maxProbeTimeout)
	}
}

func (v *validator) unit(p path, name string) {
	if !unitName.MatchString(name) {
		v.errf(p, "%q is not a systemd unit name such as nginx.service", name)
	}
}

func (v *validator) guestPath(p path, s string) {
	if !strings.HasPrefix(s, "/") || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		v.errf(p, "%q must be an absolute path in the guest", s)
	}
}

func (v *validator) oneOf(p path, s string, allowed ...string) {
	if !slices.Contains(allowed, s) {
		v.errf(p, "%q is not one of %s", s, strings.Join(allowed, ", "))
	}
}

// pattern checks a regexp, and that it has a capture group when group is set.
func (v *validator) pattern(p path, pat string, group bool) {
	re, err := regexp.Compile(pat)
	switch {
	case err != nil:
		v.errf(p, "bad pattern: %v", err)
	case group && re.NumSubexp() < 1:
		v.errf(p, "needs a capture group around the number, e.g. `requests=([0-9]+)`")
	}
}

func (v *validator) value(p path, val *Value) {
	switch {
	case val.Pattern == "":
		v.errf(p.with("pattern"), "missing; a regexp whose first group captures the number")
	default:
		re, err := regexp.Compile(val.Pattern)
		if err != nil {
			v.errf(p.with("pattern"), "bad pattern: %v", err)
		} else if re.NumSubexp() < 1 {
			v.errf(p.with("pattern"), "needs a capture group around the number, e.g. `errors=([0-9.]+)`")
		}
	}
	if !slices.Contains(ValueOps, val.Op) {
		v.errf(p.with("op"), "%q is not one of %s", val.Op, strings.Join(ValueOps, " "))
	}
}
