package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/labfile"
)

// testLab is a lab folder with a puppet repository, a file and two VMs,
// and a lab whose web VM uses every kind of step.
func testLab(t *testing.T) (*labfile.Lab, *testRepo) {
	dir := t.TempDir()
	repo := newTestRepo(t, filepath.Join(dir, "puppet"))
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'hello': }\n"})
	os.MkdirAll(filepath.Join(dir, "files"), 0o755)
	os.WriteFile(filepath.Join(dir, "files/nginx.conf"), []byte("worker_processes 1;\n"), 0o644)
	lab := &labfile.Lab{
		Name: "hello", Dir: dir,
		VMs: []labfile.VM{
			{Name: "web", Image: "debian-12", Memory: 1024, CPUs: 1, Provision: []labfile.Step{
				{Puppet: &labfile.Puppet{Repo: "puppet", Revision: "main"}},
				{Packages: map[string]string{"nginx": "1.22.1-9", "curl": "7.88.1-10"}},
				{File: &labfile.File{Src: "files/nginx.conf", Dest: "/etc/nginx/nginx.conf", Mode: "0644"}},
				{Name: "restart nginx", Run: "systemctl restart nginx"},
			}},
			{Name: "client", Image: "debian-12", Memory: 512, CPUs: 1},
		},
		Triggers: []labfile.Trigger{
			{Name: "warm", VM: "web", Command: "curl -s http://localhost/"},
			{Name: "hammer", VM: "client", Command: "hammer http://web/"},
		},
	}
	return lab, repo
}

func goldenKey(t *testing.T, lab *labfile.Lab, image string, extra ...string) string {
	t.Helper()
	key, err := GoldenKey(context.Background(), lab, "web", PlanOptions{CacheDir: t.TempDir()}, image, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestGoldenKeyChangesWithEveryInput(t *testing.T) {
	var (
		lab  *labfile.Lab
		repo *testRepo
		web  *labfile.VM
	)
	for _, tt := range []struct {
		name   string
		change func() (image string, extra []string)
	}{
		{"image digest", func() (string, []string) { return "sha256:img2", nil }},
		{"qemu version", func() (string, []string) { return "", []string{"qemu 8.0", "cpu Skylake"} }},
		{"cpu model", func() (string, []string) { return "", []string{"qemu 7.2", "cpu Haswell"} }},
		{"puppet commit", func() (string, []string) {
			repo.commit(map[string]string{"manifests/site.pp": "notify { 'bye': }\n"})
			return "", nil
		}},
		{"puppet revision", func() (string, []string) { web.Provision[0].Puppet.Revision = "HEAD"; return "", nil }},
		{"puppet modulepath", func() (string, []string) {
			web.Provision[0].Puppet.ModulePath = []string{"modules"}
			return "", nil
		}},
		{"package pin", func() (string, []string) { web.Provision[1].Packages["nginx"] = "1.22.1-9+deb12u1"; return "", nil }},
		{"added package", func() (string, []string) { web.Provision[1].Packages["jq"] = "1.6-2.1"; return "", nil }},
		{"file content", func() (string, []string) {
			os.WriteFile(filepath.Join(lab.Dir, "files/nginx.conf"), []byte("worker_processes 2;\n"), 0o644)
			return "", nil
		}},
		{"file source mode", func() (string, []string) {
			os.Chmod(filepath.Join(lab.Dir, "files/nginx.conf"), 0o600)
			return "", nil
		}},
		{"file dest", func() (string, []string) { web.Provision[2].File.Dest = "/etc/nginx/conf.d/x.conf"; return "", nil }},
		{"run script", func() (string, []string) { web.Provision[3].Run = "systemctl reload nginx"; return "", nil }},
		{"step order", func() (string, []string) {
			web.Provision[2], web.Provision[3] = web.Provision[3], web.Provision[2]
			return "", nil
		}},
		{"trigger command", func() (string, []string) { lab.Triggers[0].Command = "curl -s http://localhost/x"; return "", nil }},
		{"trigger moved here", func() (string, []string) { lab.Triggers[1].VM = "web"; return "", nil }},
		{"memory", func() (string, []string) { web.Memory = 2048; return "", nil }},
		{"bundle package record", func() (string, []string) {
			os.WriteFile(filepath.Join(lab.Dir, labfile.BundlePackagesName), []byte(`{"closures":[]}`), 0o644)
			return "", nil
		}},
		{"debs/ folder", func() (string, []string) {
			os.MkdirAll(filepath.Join(lab.Dir, "debs"), 0o755)
			os.WriteFile(filepath.Join(lab.Dir, "debs/nginx.deb"), []byte("x"), 0o644)
			return "", nil
		}},
	} {
		lab, repo = testLab(t)
		web = &lab.VMs[0]
		base := goldenKey(t, lab, "sha256:img1", "qemu 7.2", "cpu Skylake")
		if again := goldenKey(t, lab, "sha256:img1", "qemu 7.2", "cpu Skylake"); again != base {
			t.Fatalf("key of an unchanged lab changed: %s then %s", base, again)
		}
		image, extra := tt.change()
		if image == "" {
			image = "sha256:img1"
		}
		if extra == nil {
			extra = []string{"qemu 7.2", "cpu Skylake"}
		}
		if got := goldenKey(t, lab, image, extra...); got == base {
			t.Errorf("changing the %s kept key %s", tt.name, base)
		}
	}
}

func TestGoldenKeyIgnoresOtherVMs(t *testing.T) {
	lab, _ := testLab(t)
	base := goldenKey(t, lab, "sha256:img1")
	lab.Triggers[1].Command = "hammer harder"
	lab.VMs[1].Memory = 4096
	lab.Title = "a new title"
	if got := goldenKey(t, lab, "sha256:img1"); got != base {
		t.Errorf("the client VM's trigger and size, or the title, changed web's key")
	}
}

func TestPlan(t *testing.T) {
	lab, repo := testLab(t)
	head := repo.git("rev-parse", "HEAD")
	p, err := NewPlan(context.Background(), lab, "web", PlanOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if p.Puppet[0].Commit != head || p.Puppet[0].Archive == "" {
		t.Errorf("puppet step = %+v, want commit %s exported", p.Puppet[0], head)
	}
	if d := p.Files[2]; len(d.Entries) != 1 || d.Entries[0].SHA256 == "" {
		t.Errorf("file digest = %+v", d)
	}
	if len(p.Triggers) != 1 || p.Triggers[0].Name != "warm" {
		t.Errorf("triggers = %+v, want only web's", p.Triggers)
	}
	if _, err := p.Key(""); err == nil {
		t.Errorf("a key without an image digest")
	}
}

func TestPlanErrors(t *testing.T) {
	lab, _ := testLab(t)
	_, err := NewPlan(context.Background(), lab, "db", PlanOptions{CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `no VM "db"`) {
		t.Errorf("unknown VM: %v", err)
	}
	lab.VMs[0].Provision[0].Puppet.Revision = "v9"
	_, err = NewPlan(context.Background(), lab, "web", PlanOptions{CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "vm web: provision step 1: puppet repo puppet: no commit, tag or branch \"v9\"") {
		t.Errorf("unknown revision: %v", err)
	}
}
