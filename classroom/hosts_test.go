package classroom

import (
	"slices"
	"strings"
	"testing"
)

func TestPlace(t *testing.T) {
	for _, tt := range []struct {
		name  string
		avail []int64
		n     int
		per   int64
		want  []int
		fits  int
	}{
		{"equal hosts take turns", []int64{4096, 4096}, 4, 1000, []int{0, 1, 0, 1}, 4},
		{"the roomier host first, until level", []int64{2048, 4608}, 4, 1000, []int{1, 1, 1, 0}, 4},
		{"what fits nowhere is placed and not counted", []int64{1600, 1600}, 3, 1000, []int{0, 1, 0}, 2},
		{"one host", []int64{8192}, 2, 1000, []int{0, 0}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hosts []HostRoom
			for i, a := range tt.avail {
				hosts = append(hosts, HostRoom{URI: "qemu+ssh://lab" + string(rune('1'+i)) + "/system", AvailableMiB: a})
			}
			p := Place(hosts, tt.n, tt.per)
			if !slices.Equal(p.Host, tt.want) || p.Fits != tt.fits {
				t.Errorf("Place = %v, fits %d; want %v, fits %d", p.Host, p.Fits, tt.want, tt.fits)
			}
			if msg := p.Refusal(tt.n); (msg == "") != (tt.fits == tt.n) {
				t.Errorf("Refusal %q with %d of %d fitting", msg, tt.fits, tt.n)
			}
		})
	}
	p := Place([]HostRoom{{URI: "qemu:///system", AvailableMiB: 1600}, {URI: "qemu+ssh://root@lab2:2222/system?keyfile=/k", AvailableMiB: 2600}}, 4, 1000)
	if msg := p.Refusal(4); !strings.Contains(msg, "a room of 4 needs ~1.0 GiB each") || !strings.Contains(msg, "1.6 GiB on this machine, 2.5 GiB on lab2:2222") || !strings.HasSuffix(msg, ": 3 trainees fit") {
		t.Errorf("Refusal = %q", msg)
	}
}

func TestParseHosts(t *testing.T) {
	got, err := ParseHosts("qemu:///system, qemu+ssh://root@lab2/system")
	if err != nil || !slices.Equal(got, []string{"qemu:///system", "qemu+ssh://root@lab2/system"}) {
		t.Errorf("ParseHosts = %q, %v", got, err)
	}
	for _, bad := range []string{"", "qemu:///system,", "lab2", "qemu:///system,qemu:///system", "qemu+tls://lab2/system"} {
		if _, err := ParseHosts(bad); err == nil || !strings.Contains(err.Error(), "--hosts") {
			t.Errorf("ParseHosts(%q): %v", bad, err)
		}
	}
}

func TestByHost(t *testing.T) {
	ts := []Trainee{{Name: "a"}, {Name: "b"}, {Name: "c"}, {Name: "d"}}
	got := byHost(ts, map[string]string{"a": "h1", "b": "h2", "c": "h1", "d": "h2"})
	if len(got) != 2 || len(got[0]) != 2 || got[0][1].Name != "c" || got[1][0].Name != "b" {
		t.Errorf("byHost = %+v", got)
	}
	if got := byHost(ts, nil); len(got) != 1 || len(got[0]) != 4 {
		t.Errorf("byHost without hosts = %+v", got)
	}
}
