package instance

import (
	"slices"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

func TestLabNICsAndHosts(t *testing.T) {
	lab := &labfile.Lab{Networks: []labfile.Network{{Name: "front"}, {Name: "back"}},
		VMs: []labfile.VM{{Name: "lb", Networks: []string{"front"}, Names: []string{"www.shop.example", "shop.example"}}, {Name: "app", Networks: []string{"front", "back"}},
			{Name: "db", Networks: []string{"back"}}, {Name: "lonely"}}}
	got := labNICs(lab)
	want := map[string][]nic{
		"lb":  {{"front", "10.77.0.10"}},
		"app": {{"front", "10.77.0.11"}, {"back", "10.77.1.11"}},
		"db":  {{"back", "10.77.1.12"}},
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s: %v, want %v", name, got[name], w)
		}
	}
	if len(got["lonely"]) != 0 || len(got) != 3 {
		t.Errorf("nics %v", got)
	}
	if h, w := hostsBlock(lab), "# vlab lab networks\n10.77.0.10 lb www.shop.example shop.example\n10.77.0.11 app\n10.77.1.12 db\n"; h != w {
		t.Errorf("hostsBlock:\n%s\nwant:\n%s", h, w)
	}
	// A VM's own name has one address: its lab address, or 127.0.1.1
	// when it is on no lab network (or the lab has none).
	if h := hostsOf(lab, "app"); strings.Contains(h, "127.0.1.1") || !strings.Contains(h, "10.77.0.11 app\n") {
		t.Errorf("hostsOf app:\n%s", h)
	}
	if h := hostsOf(lab, "lonely"); !strings.HasSuffix(h, "\n127.0.1.1 lonely\n") {
		t.Errorf("hostsOf lonely:\n%s", h)
	}
	if h, w := hostsOf(&labfile.Lab{}, "box"), "# vlab lab networks\n127.0.1.1 box\n"; h != w {
		t.Errorf("hostsOf, no lab networks: %q, want %q", h, w)
	}
}
