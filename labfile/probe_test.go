package labfile_test

import (
	"path/filepath"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

func TestTypedProbeFixtures(t *testing.T) {
	for _, tt := range []struct {
		file string
		want []string // every problem, in order; none for a valid lab
	}{
		{"valid-typed-probes.yaml", nil},
		{"invalid-typed-unknown-key.yaml", []string{":10: probes[0].http.stauts: unknown field stauts"}},
		{"invalid-typed-probes.yaml", []string{
			`:6: probes[0]: a probe has exactly one of command, http, tcp, systemd, disk-free, rate, sql, replication-lag, error-rate, throughput, latency`,
			`:10: probes[1]: a probe has exactly one of command, http, tcp, systemd, disk-free, rate, sql, replication-lag, error-rate, throughput, latency`,
			`:15: probes[2].expect: only for command probes; a systemd probe says what it wants in its own fields`,
			`:19: probes[3].http.url: "file:///etc/passwd" must be an http:// or https:// URL with a host`,
			`:20: probes[3].http.method: "FETCH" is not one of GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS`,
			`:21: probes[3].http.status: "2x0" is not a status like 200, 2xx or 200-399`,
			`:22: probes[3].http.headers.Bad Name: "Bad Name" is not a header name`,
			":22: probes[3].http.headers.Bad Name: bad pattern: error parsing regexp: missing closing ): `(`",
			`:24: probes[3].http.timeout: 2m0s is out of range: more than 0s, at most 1m0s`,
			`:27: probes[4].tcp.host: "db;reboot" is not a host name or IP address`,
			`:27: probes[4].tcp.port: 70000 is out of range 1..65535`,
			`:27: probes[4].tcp.state: "listening" is not one of open, closed`,
			`:30: probes[5].systemd.unit: "-nginx; rm" is not a systemd unit name such as nginx.service`,
			`:30: probes[5].systemd.state: "running" is not one of active, inactive, failed`,
			`:33: probes[6].disk-free.path: "var" must be an absolute path in the guest`,
			`:33: probes[6].disk-free.min: "120%" is not a percentage between 0 and 100`,
			`:36: probes[7].rate: give exactly one of file, unit`,
			":36: probes[7].rate.pattern: needs a capture group around the number, e.g. `requests=([0-9]+)`",
			`:36: probes[7].rate.property: "" is not a systemd property such as NRestarts or IPIngressBytes`,
			`:36: probes[7].rate.over: 20m0s is out of range: more than 0s, at most 10m`,
			`:36: probes[7].rate.min: 5 is more than max 1`,
			`:39: probes[8].rate.property: "X;y" is not a systemd property such as NRestarts or IPIngressBytes`,
			`:39: probes[8].rate: say what rate is expected: at least one of min, max (per second)`,
			`:42: probes[9].sql.query: missing; a query whose answer is one value`,
			`:42: probes[9].sql.database: "shop; drop" is not a database name`,
			`:42: probes[9].sql: say what value is expected: at least one of equals, match, min, max`,
			`:45: probes[10].replication-lag.max: missing; the most Seconds_Behind_Master allowed, e.g. 30s`,
			`:48: probes[11].http.body: a HEAD request gets no body; use GET`,
		}},
	} {
		t.Run(tt.file, func(t *testing.T) { wantProblems(t, tt.file, tt.want) })
	}
}

func TestTypedProbeDefaults(t *testing.T) {
	lab, err := labfile.Load(filepath.Join("testdata", "valid-typed-probes.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	h := lab.Probes[1].HTTP
	if h.Method != "GET" || h.Status != "2xx" || h.Timeout.D() != labfile.DefaultHTTPTimeout || h.Latency != 0 {
		t.Errorf("http defaults: %+v", h)
	}
	if tc := lab.Probes[2].TCP; tc.State != "open" || tc.Timeout.D() != labfile.DefaultTCPTimeout {
		t.Errorf("tcp defaults: %+v", tc)
	}
	if tc := lab.Probes[3].TCP; tc.Host != "127.0.0.1" {
		t.Errorf("tcp host default: %q", tc.Host)
	}
	if s := lab.Probes[4].Systemd; s.State != "active" {
		t.Errorf("systemd state default: %q", s.State)
	}
	if r := lab.Probes[9].Rate; r.Over.D() != labfile.DefaultRateOver {
		t.Errorf("rate over default: %s", r.Over.D())
	}
	if m := lab.Probes[13].ReplicationLag.Max; m == nil || *m != 0 {
		t.Errorf("replication-lag max 0 lost: %v", m)
	}
	for i, want := range []string{"http", "http", "tcp", "tcp", "systemd", "systemd", "disk-free", "disk-free", "rate", "rate", "rate", "sql", "replication-lag", "replication-lag"} {
		if got := lab.Probes[i].Type(); got != want {
			t.Errorf("probes[%d].Type() = %q, want %q", i, got, want)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for _, tt := range []struct {
		in     string
		lo, hi int
		ok     bool
	}{
		{"200", 200, 200, true}, {"2xx", 200, 299, true}, {"5xx", 500, 599, true}, {"200-399", 200, 399, true},
		{"200 - 204", 200, 204, true}, {"399-200", 0, 0, false}, {"6xx", 0, 0, false}, {"99", 0, 0, false},
		{"2000", 0, 0, false}, {"abc", 0, 0, false}, {"", 0, 0, false}, {"-200", 0, 0, false},
	} {
		lo, hi, err := labfile.ParseStatus(tt.in)
		if (err == nil) != tt.ok || lo != tt.lo || hi != tt.hi {
			t.Errorf("ParseStatus(%q) = %d, %d, %v", tt.in, lo, hi, err)
		}
	}
}

func TestParseFree(t *testing.T) {
	for _, tt := range []struct {
		in    string
		bytes uint64
		pct   float64
		ok    bool
	}{
		{"1024", 1024, 0, true}, {"500M", 500 << 20, 0, true}, {"500MiB", 500 << 20, 0, true}, {"2G", 2 << 30, 0, true},
		{"1.5K", 1536, 0, true}, {"10%", 0, 10, true}, {"0.5 %", 0, 0.5, true},
		{"0", 0, 0, false}, {"100%", 0, 0, false}, {"-1G", 0, 0, false}, {"lots", 0, 0, false}, {"9999999999T", 0, 0, false},
	} {
		b, p, err := labfile.ParseFree(tt.in)
		if (err == nil) != tt.ok || b != tt.bytes || p != tt.pct {
			t.Errorf("ParseFree(%q) = %d, %g, %v", tt.in, b, p, err)
		}
	}
}
