package kit

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// fakeEtcd answers the two calls of etcd's v3 JSON gateway the kit's
// tools make: a range of keys (key to range_end) and a put.
type fakeEtcd struct {
	mu sync.Mutex
	kv map[string]string
}

func (f *fakeEtcd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct{ Key, Value, RangeEnd string }
	var raw map[string]string
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	dec := func(s string) string { b, _ := base64.StdEncoding.DecodeString(s); return string(b) }
	req.Key, req.Value, req.RangeEnd = dec(raw["key"]), dec(raw["value"]), dec(raw["range_end"])
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/v3/kv/put":
		f.kv[req.Key] = req.Value
		w.Write([]byte(`{}`))
	case "/v3/kv/range":
		var keys []string
		for k := range f.kv {
			if k >= req.Key && k < req.RangeEnd {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var kvs []map[string]string
		for _, k := range keys {
			kvs = append(kvs, map[string]string{"key": base64.StdEncoding.EncodeToString([]byte(k)),
				"value": base64.StdEncoding.EncodeToString([]byte(f.kv[k]))})
		}
		got := map[string]any{}
		if len(kvs) > 0 { // etcd leaves kvs out when nothing matches
			got["kvs"] = kvs
		}
		json.NewEncoder(w).Encode(got)
	default:
		http.NotFound(w, r)
	}
}

// tool runs one of the kit's Python tools (profile's files) against etcd.
func tool(t *testing.T, env []string, name string, args ...string) (string, int) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to test the kit's tools (the guests run them with Debian's python3)")
	}
	cmd := exec.Command(py, append([]string{name}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestConftoolAndConfd: confctl seeds the pool, changes it by selector and
// logs who did it; pool and depool act on this host; kit-confd renders a
// resource from what is pooled, runs its reload only on a change, and
// --check tells a hand-edited file from etcd's state.
func TestConftoolAndConfd(t *testing.T) {
	etcd := &fakeEtcd{kv: map[string]string{}}
	srv := httptest.NewServer(etcd)
	defer srv.Close()
	dir := t.TempDir()
	files := filepath.Join("puppet", "modules", "profile", "files")
	host, _ := os.Hostname()
	host = strings.SplitN(host, ".", 2)[0]
	log := filepath.Join(dir, "conftool.log")
	env := []string{"CONFTOOL_ETCD=" + srv.URL, "CONFTOOL_LOG=" + log, "SUDO_USER=kim",
		"KIT_CONFD_DIR=" + filepath.Join(dir, "confd")} // kit-confd's etcd: confd/etcd
	confctl := filepath.Join(files, "confctl")

	nodes := `[{"dc": "dc1", "cluster": "text", "service": "be", "name": "cp1"},
		{"dc": "dc1", "cluster": "text", "service": "be", "name": "` + host + `"},
		{"dc": "dc1", "cluster": "text", "service": "cdn", "name": "` + host + `"}]`
	os.WriteFile(filepath.Join(dir, "nodes.json"), []byte(nodes), 0o644)
	if out, code := tool(t, env, confctl, "seed", filepath.Join(dir, "nodes.json")); code != 0 {
		t.Fatalf("seed: %d %s", code, out)
	}
	if len(etcd.kv) != 3 || etcd.kv["/conftool/v1/pools/dc1/text/be/cp1"] != `{"pooled": "yes", "weight": 10}` {
		t.Fatalf("seeded %v", etcd.kv)
	}
	// A second seed keeps an operator's change.
	tool(t, env, confctl, "select", "name=cp1", "set/pooled=no")
	tool(t, env, confctl, "seed", filepath.Join(dir, "nodes.json"))
	if got := etcd.kv["/conftool/v1/pools/dc1/text/be/cp1"]; !strings.Contains(got, `"pooled": "no"`) {
		t.Errorf("seed changed an existing key: %s", got)
	}
	if out, code := tool(t, env, confctl, "select", "service=nothing", "get"); code == 0 || !strings.Contains(out, "nothing matches") {
		t.Errorf("empty selection: %d %s", code, out)
	}
	if out, code := tool(t, env, confctl, "select", "name=cp1", "set/pooled=maybe"); code == 0 {
		t.Errorf("pooled=maybe accepted: %s", out)
	}

	// kit-confd renders the pooled backends.
	res := `{"prefix": "/conftool/v1/pools/dc1/text/be/", "when": {"pooled": "yes"},
		"dest": "` + filepath.Join(dir, "pool.txt") + `",
		"template": [{"text": "# pool\n"}, {"empty": "none\n"}, {"each": "be {id} {name} w{weight}\n"}],
		"reload": "echo x >> ` + filepath.Join(dir, "reloads") + `"}`
	os.Mkdir(filepath.Join(dir, "confd"), 0o755)
	os.WriteFile(filepath.Join(dir, "confd", "etcd"), []byte(srv.URL+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "confd", "pool.json"), []byte(res), 0o644)
	os.WriteFile(filepath.Join(dir, "confd", "broken.json"), []byte(`[1]`), 0o644) // skipped, said
	kitConfd := filepath.Join(files, "kit-confd")
	render := func() string {
		t.Helper()
		if out, code := tool(t, env, kitConfd, "--once"); code != 0 {
			t.Fatalf("kit-confd --once: %d %s", code, out)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "pool.txt"))
		return string(b)
	}
	id := strings.NewReplacer("-", "_", ".", "_").Replace(host)
	if got, want := render(), "# pool\nbe "+id+" "+host+" w10\n"; got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
	render() // nothing changed: no second reload
	if b, _ := os.ReadFile(filepath.Join(dir, "reloads")); string(b) != "x\n" {
		t.Errorf("reloads %q, want one", b)
	}
	if out, code := tool(t, env, kitConfd, "--check"); code != 0 {
		t.Errorf("--check on a rendered file: %d %s", code, out)
	}
	os.WriteFile(filepath.Join(dir, "pool.txt"), []byte("be by hand\n"), 0o644)
	if out, code := tool(t, env, kitConfd, "--check"); code != 1 || !strings.Contains(out, "differs") {
		t.Errorf("--check on a hand edit: %d %s", code, out)
	}

	// depool (every service of this host), then pool of one service: the
	// day of text-cache-depooled.
	link := func(name string) string {
		p := filepath.Join(dir, name)
		abs, _ := filepath.Abs(confctl)
		os.Symlink(abs, p)
		return p
	}
	tool(t, env, link("depool"))
	tool(t, env, link("pool"), "cdn")
	if got := render(); got != "# pool\nnone\n" {
		t.Errorf("after depool and pool cdn: %q, want the empty pool", got)
	}
	if got := etcd.kv["/conftool/v1/pools/dc1/text/cdn/"+host]; !strings.Contains(got, `"pooled": "yes"`) {
		t.Errorf("cdn after pool cdn: %s", got)
	}
	b, _ := os.ReadFile(log)
	if lines := strings.Count(string(b), "\n"); lines != 4 || !strings.Contains(string(b), "kim@") {
		t.Errorf("conftool.log has %d lines, want 4 by kim:\n%s", lines, b)
	}
	// etcd gone: the file stays as it is.
	srv.Close()
	if out, code := tool(t, env, kitConfd, "--once"); code != 0 || !strings.Contains(out, "left as it is") {
		t.Errorf("etcd down: %d %s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "pool.txt")); string(b) != "# pool\nnone\n" {
		t.Errorf("etcd down changed the file: %q", b)
	}
}
