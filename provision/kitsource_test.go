package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/kit"
	"github.com/vlab-dev/vlab/labfile"
)

// TestExportKit: a kit step without a repository exports the kit at its
// tag, from the history vlab carries, with its history for the clone.
func TestExportKit(t *testing.T) {
	p := labfile.Puppet{Kit: "kit-1", Revision: "kit-1", Role: "edge", Clone: labfile.DefaultKitClone}
	got, err := ExportStep(context.Background(), t.TempDir(), t.TempDir(), p, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := archiveFiles(t, got.Archive)
	if !strings.Contains(files["manifests/site.pp"], "vlab_role") || files["modules/role/manifests/edge.pp"] == "" {
		t.Errorf("kit-1's tree: %v", keys(files))
	}
	if got.Repo != kitRepo || got.History == "" {
		t.Errorf("export: %+v", got)
	}
	if _, err := ExportStep(context.Background(), t.TempDir(), t.TempDir(), labfile.Puppet{Kit: "kit-999", Revision: "kit-999"}, true, nil); err == nil {
		t.Error("a kit revision that does not exist exported")
	}
}

// TestExportKitSideBySide: labs of one kit revision exported at once into
// one cache (the integration tests run two labs in one process) each get
// the tree and the history; the history was once written through a
// temporary name made of the process ID, and one of two renames failed.
func TestExportKitSideBySide(t *testing.T) {
	cache := t.TempDir()
	p := labfile.Puppet{Kit: "kit-1", Revision: "kit-1", Role: "edge", Clone: labfile.DefaultKitClone}
	errs := make(chan error, 6)
	for range cap(errs) {
		go func() {
			got, err := ExportStep(context.Background(), cache, t.TempDir(), p, true, nil)
			if err == nil && (got.History == "" || got.Archive == "") {
				err = fmt.Errorf("export: %+v", got)
			}
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestExportOnKit: a lab's bundle must build on the kit revision it names.
func TestExportOnKit(t *testing.T) {
	labDir := t.TempDir()
	kitBundle := filepath.Join(t.TempDir(), "kit.bundle")
	os.WriteFile(kitBundle, kit.History(), 0o644)
	repo := newTestRepo(t, t.TempDir())
	repo.git("fetch", "-q", kitBundle, "kit-1:refs/heads/kit")
	repo.git("checkout", "-q", "kit")
	incident := repo.commit(map[string]string{"data/common.yaml": "profile::nginx_edge::worker_connections: 8\n"})
	repo.git("bundle", "create", filepath.Join(labDir, "on-kit.bundle"), "--all")

	other := newTestRepo(t, t.TempDir())
	alone := other.commit(map[string]string{"manifests/site.pp": "notify { 'x': }\n"})
	other.git("bundle", "create", filepath.Join(labDir, "alone.bundle"), "--all")

	cache := t.TempDir()
	p := labfile.Puppet{Kit: "kit-1", Repo: "on-kit.bundle", Revision: incident, Role: "edge", Clone: "/etc/puppet/code/shop"}
	got, err := ExportStep(context.Background(), cache, labDir, p, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Commit != incident || !strings.Contains(archiveFiles(t, got.Archive)["data/common.yaml"], "connections: 8") {
		t.Errorf("export on the kit: %+v", got)
	}
	// The history for the guest's clone holds the kit's commits and the lab's.
	clone := filepath.Join(t.TempDir(), "clone")
	check := newTestRepo(t, t.TempDir())
	check.git("clone", "-q", "-b", "vlab-"+incident, got.History, clone)
	if log := check.git("-C", clone, "log", "--format=%s"); !strings.Contains(log, "kit-1:") || strings.Count(log, "\n") != 1 {
		t.Errorf("the clone's history:\n%s", log)
	}

	p.Repo, p.Revision = "alone.bundle", alone
	if _, err := ExportStep(context.Background(), cache, labDir, p, true, nil); err == nil || !strings.Contains(err.Error(), "does not build on kit-1") {
		t.Errorf("a repository not on the kit: %v", err)
	}
}

func TestApplyClone(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.bundle")
	os.WriteFile(hist, []byte("bundle"), 0o644)
	r := newFakeRunner(nil)
	tree := PuppetTree{Commit: strings.Repeat("a", 40), Tree: strings.Repeat("b", 40), History: hist}
	p := labfile.Puppet{Kit: "kit-1", Role: "edge", Clone: "/etc/puppet/code/shop", Manifest: "manifests/site.pp", ModulePath: []string{"modules"}, Hiera: "hiera.yaml"}
	if err := ApplyPuppet(context.Background(), r, tree, p, nil); err != nil {
		t.Fatal(err)
	}
	if f := string(r.files[factsFile].data); !strings.Contains(f, "vlab_role: edge\n") || !strings.Contains(f, "vlab_puppet_dir: /etc/puppet/code/shop\n") {
		t.Errorf("facts: %q", f)
	}
	if _, ok := r.files["/etc/puppet/code/shop/data/lab.yaml"]; ok {
		t.Error("lab data written for a step without data")
	}
	r.ran(t, "git clone -q --no-hardlinks --template= -b vlab-"+tree.Commit+" /var/cache/vlab/puppet/"+tree.Commit+".bundle",
		"cd /etc/puppet/code/shop && puppet apply --detailed-exitcodes --color=false --modulepath=/etc/puppet/code/shop/modules")
}

// TestLabData: a step's hiera data is committed into its clone as
// data/lab.yaml before puppet runs.
func TestLabData(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "h.bundle")
	os.WriteFile(hist, []byte("bundle"), 0o644)
	r := newFakeRunner(nil)
	tree := PuppetTree{Commit: strings.Repeat("a", 40), Tree: strings.Repeat("b", 40), History: hist}
	p := labfile.Puppet{Kit: "kit-2", Role: "edge", Clone: "/etc/puppet/code/kit", Manifest: "manifests/site.pp",
		Data: map[string]any{"profile::nginx_edge::worker_connections": 8, "profile::nginx_edge::sites": map[string]any{"www": map[string]any{"upstream": "app:80"}}}}
	if err := ApplyPuppet(context.Background(), r, tree, p, nil); err != nil {
		t.Fatal(err)
	}
	f := string(r.files["/etc/puppet/code/kit/data/lab.yaml"].data)
	if !strings.HasPrefix(f, "---\n") || !strings.Contains(f, "profile::nginx_edge::worker_connections: 8\n") || !strings.Contains(f, "upstream: app:80") {
		t.Errorf("data/lab.yaml:\n%s", f)
	}
	r.ran(t, "git clone", "git -C /etc/puppet/code/kit add data/lab.yaml && git -C /etc/puppet/code/kit -c user.name=vlab", "puppet apply")
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestGitStep: a git step's revision is resolved in the plan (and keys the
// golden state), and its history is cloned into the guest.
func TestGitStep(t *testing.T) {
	labDir := t.TempDir()
	repo := newTestRepo(t, t.TempDir())
	v1 := repo.commit(map[string]string{"config.yaml": "workers: 4\n"})
	repo.commit(map[string]string{"config.yaml": "workers: 8\n"})
	repo.git("bundle", "create", filepath.Join(labDir, "config.bundle"), "--all")
	lab := &labfile.Lab{Name: "l", Dir: labDir, VMs: []labfile.VM{{Name: "app", Provision: []labfile.Step{
		{Git: &labfile.Git{Repo: "config.bundle", Revision: v1[:8], Dest: "/srv/config"}}}}}}
	p, err := NewPlan(context.Background(), lab, "app", PlanOptions{CacheDir: t.TempDir(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	tree := p.Repos[0]
	if tree.Commit != v1 || tree.History == "" {
		t.Fatalf("planned git step: %+v", tree)
	}
	r := newFakeRunner(nil)
	if err := CloneRepo(context.Background(), r, tree, "/srv/config", nil); err != nil {
		t.Fatal(err)
	}
	if r.uploads["/var/cache/vlab/puppet/"+v1+".bundle"] != tree.History {
		t.Errorf("uploads: %v", r.uploads)
	}
	r.ran(t, "-b vlab-"+v1+" /var/cache/vlab/puppet/"+v1+".bundle /srv/config.vlab-new")
	k1, _ := p.Key("img")
	lab.VMs[0].Provision[0].Git.Revision = "main"
	p2, err := NewPlan(context.Background(), lab, "app", PlanOptions{CacheDir: t.TempDir(), Offline: true})
	if err != nil {
		t.Fatal(err)
	}
	if k2, _ := p2.Key("img"); k1 == k2 {
		t.Error("the golden key does not change with the git step's revision")
	}
}
