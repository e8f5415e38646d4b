package provision

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
	"github.com/vlab-dev/vlab/traffic"
)

func clientTrigger() labfile.Trigger {
	off := false
	return labfile.Trigger{Name: "crawler", VM: "edge", Role: labfile.RoleIncident, Client: &labfile.Client{
		Targets:     []labfile.ClientTarget{{URL: "http://127.0.0.1/search?q={a|b}", Weight: 2}},
		Rate:        8,
		Concurrency: 8,
		KeepAlive:   &off,
		Sources:     []string{"127.0.0.66"},
		Headers:     map[string]string{"User-Agent": "Bot/1"},
		Slow:        &labfile.SlowClients{URL: "http://127.0.0.1/", Connections: 3},
	}}
}

func TestClientTrigger(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vlab-client")
	os.WriteFile(bin, []byte("\x7fELF client"), 0o755)
	tr := clientTrigger()
	unit := string(RenderTrigger(tr))
	if !strings.Contains(unit, "\nExecStart=/usr/local/lib/vlab/vlab-client /etc/vlab/clients/crawler.json\n") {
		t.Errorf("unit of a client trigger:\n%s", unit)
	}
	r := newFakeRunner(nil)
	if err := StartTriggers(context.Background(), r, []labfile.Trigger{tr, {Name: "cmd", Command: "sleep 1"}},
		ClientBinary{Path: bin, Digest: "d"}, nil); err != nil {
		t.Fatal(err)
	}
	if r.uploads[ClientGuestBin] != bin {
		t.Errorf("uploads %v, want the client binary at %s", r.uploads, ClientGuestBin)
	}
	// A client's trigger is ready when it has written its statistics (the
	// golden state holds a client that has counted); a command's, at once.
	r.ran(t, "chmod 0755 "+ClientGuestBin, "systemctl daemon-reload", "sh -c 'test -s "+traffic.StatsPath("crawler")+"'")
	if r.cmds[len(r.cmds)-1] != "sh -c 'test -s "+traffic.StatsPath("crawler")+"'" {
		t.Errorf("commands %q: want the wait for the client's statistics last", r.cmds)
	}
	f, ok := r.files["/etc/vlab/clients/crawler.json"]
	if !ok {
		t.Fatalf("no client config written: %v", r.files)
	}
	var cfg traffic.Config
	if err := json.Unmarshal(f.data, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Check(); err != nil || cfg.Name != "crawler" || cfg.Rate != 8 || !cfg.NoKeepAlive || cfg.Sources[0] != "127.0.0.66" ||
		cfg.Targets[0].Weight != 2 || cfg.Headers["User-Agent"] != "Bot/1" || cfg.Slow.Connections != 3 {
		t.Errorf("config %s (check: %v)", f.data, err)
	}
	// Without a binary planned, a client trigger cannot start.
	if err := StartTriggers(context.Background(), newFakeRunner(nil), []labfile.Trigger{tr}, ClientBinary{}, nil); err == nil {
		t.Error("a client trigger started with no client binary")
	}
}

func TestClientInGoldenKey(t *testing.T) {
	lab := &labfile.Lab{Name: "l", VMs: []labfile.VM{{Name: "edge"}}, Triggers: []labfile.Trigger{clientTrigger()}}
	key := func(digest string) string {
		p, err := NewPlan(context.Background(), lab, "edge", PlanOptions{FindClient: func(context.Context) (ClientBinary, error) {
			return ClientBinary{Path: "/x", Digest: digest}, nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		k, err := p.Key("img")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if key("a") == key("b") {
		t.Error("the golden key does not change with the client binary")
	}
	t.Setenv(ClientEnv, filepath.Join(t.TempDir(), "missing"))
	if _, err := NewPlan(context.Background(), lab, "edge", PlanOptions{}); err == nil || !strings.Contains(err.Error(), "scripts/build") {
		t.Errorf("plan without the client binary: %v", err)
	}
}
