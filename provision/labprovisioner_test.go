package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vlab-dev/vlab/images"
)

// The golden key and the apply share one plan: a branch that moves in
// between does not change what is applied, and the log gets the output.
func TestLabProvisioner(t *testing.T) {
	lab, repo := testLab(t)
	logDir := t.TempDir()
	var progress strings.Builder
	p := NewLabProvisioner(LabProvisionerOptions{CacheDir: t.TempDir(), Progress: &progress, LogDir: logDir})
	img := &images.Image{Manifest: images.Manifest{Digest: "sha256:img1"}, Status: imageStatus(t)}
	ctx := context.Background()
	key, err := p.Key(ctx, lab, "web", img)
	if err != nil {
		t.Fatal(err)
	}
	planned := repo.git("rev-parse", "HEAD")
	repo.commit(map[string]string{"manifests/site.pp": "notify { 'moved': }\n"})
	if again, err := p.Key(ctx, lab, "web", img); err != nil || again != key {
		t.Errorf("second key = %s, %v; want the planned %s", again, err, key)
	}
	r := newFakeRunner(guest(""))
	if err := p.Apply(ctx, lab, "web", img, r); err != nil {
		t.Fatal(err)
	}
	r.ran(t, "tar -xzf /var/cache/vlab/puppet/"+p.plans["web"].Puppet[0].Tree)
	if p.plans["web"].Puppet[0].Commit != planned {
		t.Errorf("applied %s, want the planned %s", p.plans["web"].Puppet[0].Commit, planned)
	}
	if !strings.HasPrefix(progress.String(), "provisioning vm web\n") {
		t.Errorf("progress = %q", progress.String())
	}
	if log, err := os.ReadFile(filepath.Join(logDir, "provision-web.log")); err != nil || !strings.Contains(string(log), "Applied catalog") {
		t.Errorf("log = %q, %v", log, err)
	}
}

func TestLabDebDir(t *testing.T) {
	lab, _ := testLab(t)
	if dir, err := LabDebDir(lab); dir != "" || err != nil {
		t.Errorf("no debs/: %q, %v", dir, err)
	}
	os.Mkdir(filepath.Join(lab.Dir, "debs"), 0o755)
	if dir, err := LabDebDir(lab); err != nil || filepath.Base(dir) != "debs" {
		t.Errorf("debs/: %q, %v", dir, err)
	}
	os.Remove(filepath.Join(lab.Dir, "debs"))
	os.Symlink(t.TempDir(), filepath.Join(lab.Dir, "debs"))
	if _, err := LabDebDir(lab); err == nil || !strings.Contains(err.Error(), "debs leads outside the lab folder") {
		t.Errorf("debs/ linked out: %v", err)
	}
	r := newFakeRunner(nil)
	img := &images.Image{Manifest: images.Manifest{Digest: "sha256:img1"}, Status: imageStatus(t)}
	if err := NewLabProvisioner(LabProvisionerOptions{CacheDir: t.TempDir()}).Apply(context.Background(), lab, "web", img, r); err == nil || len(r.cmds) > 0 {
		t.Errorf("apply with debs/ linked out: %v after %d commands", err, len(r.cmds))
	}
}

// A .deb in the package folder that links outside it is refused.
func TestDebDirSymlinkOut(t *testing.T) {
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "x_1_all.deb"), []byte("not yours"), 0o600)
	debDir := t.TempDir()
	os.Symlink(filepath.Join(host, "x_1_all.deb"), filepath.Join(debDir, "x_1_all.deb"))
	if _, err := dirListing(debDir); err == nil || !strings.Contains(err.Error(), "leads outside") {
		t.Errorf("dirListing: %v", err)
	}
}
