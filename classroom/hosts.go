package classroom

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/vlab-dev/vlab/internal/termtext"
	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/vm/libvirt"
)

// A room spread over several lab servers (`class up --hosts URI,URI`):
// each new instance goes to the host with the most memory left once the
// instances placed before it are counted, as each host's libvirtd reports
// its memory (vm.HostMemory). An instance records its host, so every later
// verb reaches it there; each host keeps its own golden states.

// HostRoom is one lab server as placement sees it.
type HostRoom struct {
	URI          string `json:"uri"`
	AvailableMiB int64  `json:"available_mib"`
}

// Placement is where a room's instances go.
type Placement struct {
	Hosts          []HostRoom
	PerInstanceMiB int64
	// Host is, for each instance in turn, its index in Hosts.
	Host []int
	// Fits counts the instances that fit where they were placed.
	Fits int
}

// Place spreads n instances of perMiB each over hosts, keeping
// HostReserveMiB free on each: every instance goes where the most memory is
// left after those placed before it (the first of equals). Instances that
// fit nowhere are placed the same way, for --force, and not counted in
// Fits.
func Place(hosts []HostRoom, n int, perMiB int64) Placement {
	p := Placement{Hosts: hosts, PerInstanceMiB: perMiB}
	left := make([]int64, len(hosts))
	for i, h := range hosts {
		left[i] = h.AvailableMiB - HostReserveMiB
	}
	for range n {
		best := 0
		for i := range left {
			if left[i] > left[best] {
				best = i
			}
		}
		if left[best] >= perMiB {
			p.Fits++
		}
		left[best] -= perMiB
		p.Host = append(p.Host, best)
	}
	return p
}

// Refusal is the one line that says the room does not fit on the hosts
// and how many would; empty when it fits.
func (p Placement) Refusal(n int) string {
	if p.Fits >= n {
		return ""
	}
	var have []string
	for _, h := range p.Hosts {
		have = append(have, fmt.Sprintf("%s on %s", gib(h.AvailableMiB), HostLabel(h.URI)))
	}
	return fmt.Sprintf("a room of %d needs ~%s each, the hosts have %s available: %s fit", n,
		gib(p.PerInstanceMiB), strings.Join(have, ", "), termtext.Count(p.Fits, "trainee"))
}

// HostLabel names a libvirt host for people: the URI's host (and port),
// or "this machine".
func HostLabel(uri string) string {
	if !libvirt.IsRemote(uri) {
		return "this machine"
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return uri
	}
	return u.Host
}

// ParseHosts reads --hosts: libvirt URIs separated by commas, each named
// once.
func ParseHosts(value string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(value, ",") {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			return nil, fmt.Errorf("--hosts %q: an empty host; give libvirt URIs separated by commas", value)
		case slices.Contains(out, h):
			return nil, fmt.Errorf("--hosts: %s twice", h)
		}
		if libvirt.CheckURI(h) != nil {
			return nil, fmt.Errorf("--hosts: %q is not a libvirt URI (qemu:///system, qemu+ssh://user@host/system)", h)
		}
		out = append(out, h)
	}
	return out, nil
}

// place asks each host for its memory and places the trainees ts there:
// it returns each trainee's host URI by name, or refuses a room that does
// not fit unless force.
func (c *Class) place(ctx context.Context, lab *labfile.Lab, ts []Trainee, hosts []string, force bool) (map[string]string, error) {
	rooms := make([]HostRoom, len(hosts))
	for i, uri := range hosts {
		s := c.Settings
		s.Connect, s.ConnectSet = uri, true
		m := s.Host()
		b, err := m.AvailableMemory(ctx)
		m.Close()
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", uri, err)
		}
		rooms[i] = HostRoom{URI: uri, AvailableMiB: int64(b >> 20)}
	}
	var vms []int
	for _, v := range lab.VMs {
		vms = append(vms, v.Memory)
	}
	p := Place(rooms, len(ts), perInstance(vms, !c.Settings.NoStandby))
	if msg := p.Refusal(len(ts)); msg != "" && !force {
		return nil, fmt.Errorf("%s (--force starts them anyway)", msg)
	}
	where := map[string]string{}
	for i, t := range ts {
		where[t.Name] = hosts[p.Host[i]]
	}
	return where, nil
}
